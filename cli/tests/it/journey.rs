//! The operator's journey through the CLI against the real stack (NATS, Postgres, codex
//! app-server with the scripted model, the four services): a project, a session, a reply
//! waited for (human and `--json`), a command approved from another process, a turn
//! interrupted, the transcript, the event stream, archive, delete.

use cm_e2e::TestStack;
use cm_mock_model::Script;
use serde_json::Value;

use crate::cm::Cm;

const COMMAND: &str = "echo hello-from-cli";
const REPLY: &str = "Hello from the CLI test.";

fn script() -> Script {
    let exec = serde_json::json!({
        "type": "function_call", "name": "exec_command",
        "arguments": { "cmd": COMMAND, "login": false }
    });
    let slow: Vec<String> = (0..100).map(|i| format!("s{i} ")).collect();
    Script::from_value(serde_json::json!({
        "rules": [
            { "name": "shell", "match": { "contains": "RUN_SHELL" }, "steps": [
                exec, { "type": "message", "text": "Done: {{tool_output}}" } ] },
            { "name": "ask", "match": { "contains": "ASK" }, "steps": [
                { "type": "function_call", "name": "request_user_input", "arguments": { "questions": [
                    { "id": "color", "header": "Color", "question": "Which color?",
                      "options": [ { "label": "Blue", "description": "calm" },
                                   { "label": "Red", "description": "bold" } ] } ] } },
                { "type": "message", "text": "You chose: {{tool_output}}" } ] },
            { "name": "fail", "match": { "contains": "FAIL400" }, "steps": [
                { "type": "error", "status": 400, "message": "refused by the scripted model" } ] },
            { "name": "slow", "match": { "contains": "SLOW" }, "delay_ms": 100,
              "steps": [ { "type": "message", "deltas": slow } ] },
            { "name": "greeting", "steps": [ { "type": "message",
              "deltas": ["Hello", " from", " the", " CLI", " test", "."] } ] }
        ]
    }))
    .unwrap()
}

/// Threads that ask before running a command, as in the e2e approval tests.
async fn stack() -> TestStack {
    TestStack::start_with(script(), |cfg| {
        cfg.approval_policy = Some("untrusted".to_owned());
        cfg.sandbox = Some("workspace-write".to_owned());
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_from_project_to_deletion() {
    let stack = stack().await;
    let cm = Cm::against(&stack);
    let workdir = stack.workdir.path().to_str().unwrap();

    // A project, listed as a table.
    let project = cm
        .run(&[
            "projects",
            "create",
            "cli-journey",
            "--cwd",
            workdir,
            "--json",
        ])
        .await;
    let project = project.ok().json()["id"].as_str().unwrap().to_owned();
    let list = cm.run(&["projects", "list"]).await;
    assert!(
        list.ok().stdout.contains("cli-journey") && list.stdout.contains("NAME"),
        "{}",
        list.stdout
    );

    // A session in it, which inherits its directory.
    let session = cm
        .run(&[
            "sessions",
            "create",
            "--title",
            "journey",
            "--project",
            &project,
            "--json",
        ])
        .await;
    let session = session.ok().json();
    assert_eq!(session["projectId"], project.as_str());
    assert_eq!(session["cwd"], workdir);
    let sid = session["id"].as_str().unwrap().to_owned();

    // The reply, streamed in human form, then as one JSON object.
    let started = std::time::Instant::now();
    let sent = cm.run(&["sessions", "send", &sid, "hi", "--wait"]).await;
    assert_eq!(sent.ok().stdout.trim(), REPLY, "{sent:?}");
    let waited = started.elapsed();
    let sent = cm
        .run(&["sessions", "send", &sid, "hi again", "--wait", "--json"])
        .await;
    let result = sent.ok().json();
    assert_eq!(result["status"], "completed");
    assert_eq!(result["text"], REPLY);
    assert_eq!(result["sessionId"], sid.as_str());
    println!("sessions send --wait: {waited:.2?} for a scripted reply");

    // A note in the transcript, replaced in place.
    for text in ["Deploying.", "Deployed to staging."] {
        let entry = cm
            .run(&[
                "sessions",
                "transcript-entry",
                &sid,
                "note-1",
                "--text",
                text,
                "--json",
            ])
            .await;
        assert_eq!(entry.ok().json()["text"], text);
    }

    approve_a_command(&cm, &sid).await;
    answer_a_question(&cm, &sid).await;
    interrupt_a_turn(&cm, &sid).await;

    // A turn the model refuses: exit 8, the runtime's message on stderr.
    let failed = cm
        .run(&["sessions", "send", &sid, "FAIL400 now", "--wait", "--json"])
        .await;
    assert_eq!(failed.code(8).json()["status"], "failed");
    let report = failed.error_json();
    assert_eq!(report["class"], "turn_failed");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .ends_with("failed: refused by the scripted model"),
        "{report}"
    );

    // The transcript, readable.
    let shown = cm.run(&["sessions", "get", &sid]).await;
    let text = &shown.ok().stdout;
    for expected in [
        "> hi",
        REPLY,
        "hello-from-cli",
        "(interrupted)",
        "(completed)",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }

    // The session's events from the beginning, as JSON lines.
    let streamed = cm
        .run(&[
            "stream",
            "--session",
            &sid,
            "--after",
            "0",
            "--kind",
            "turn.completed",
            "--limit",
            "6",
        ])
        .await;
    let lines: Vec<Value> = streamed
        .ok()
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "{}", streamed.stdout);
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["data"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "completed",
            "completed",
            "completed",
            "completed",
            "interrupted",
            "failed"
        ]
    );
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64())
    );

    // Archived: gone from the default list, there with --archived true.
    cm.run(&["sessions", "archive", &sid]).await.ok();
    let listed = cm.run(&["sessions", "list", "--json"]).await;
    assert!(!listed.ok().stdout.contains(&sid));
    let listed = cm.run(&["sessions", "list", "--archived", "true"]).await;
    assert!(listed.ok().stdout.contains(&sid), "{}", listed.stdout);

    // Deleted: the id is gone (not found class), and the empty project can go too.
    let deleted = cm.run(&["sessions", "delete", &sid]).await;
    assert!(deleted.ok().stdout.contains("deleted"));
    let gone = cm.run(&["sessions", "get", &sid, "--json"]).await;
    assert_eq!(gone.code(4).error_json()["error"]["code"], "gone");
    cm.run(&["projects", "delete", &project]).await.ok();
    cm.run(&["projects", "get", &project]).await.code(4);
}

/// `send --wait` in the background stops at the approval and says how to answer it; the
/// decision from another process lets the turn finish.
async fn approve_a_command(cm: &Cm, sid: &str) {
    let waiting = cm.spawn(&["sessions", "send", sid, "RUN_SHELL please", "--wait"]);
    waiting
        .wait_for_output("codex-manager approvals decide")
        .await;
    let pending = cm.run(&["approvals", "list", sid, "--json"]).await;
    let pending = pending.ok().json();
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["kind"], "commandApproval");
    let rid = pending[0]["id"].as_str().unwrap().to_owned();
    let table = cm.run(&["approvals", "list", sid]).await;
    assert!(table.ok().stdout.contains(COMMAND), "{}", table.stdout);
    // Without a session: every session's, with a session column.
    let everywhere = cm.run(&["approvals", "list"]).await;
    let out = &everywhere.ok().stdout;
    assert!(out.contains(&rid) && out.contains(sid), "{out}");
    // Nothing for the other families.
    let none = cm.run(&["tool-input", "list", sid]).await;
    assert!(
        none.ok().stdout.contains("(none pending)"),
        "{}",
        none.stdout
    );

    let decided = cm.run(&["approvals", "decide", sid, &rid, "accept"]).await;
    assert!(
        decided.ok().stdout.contains("resolved"),
        "{}",
        decided.stdout
    );
    let out = waiting.finish().await;
    out.ok();
    assert!(
        out.stdout.contains("Done:") && out.stdout.contains("hello-from-cli"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains(&format!("request {rid} resolved by cli")),
        "{}",
        out.stderr
    );

    // The same decision again: already resolved, a conflict.
    let again = cm
        .run(&["approvals", "decide", sid, &rid, "accept", "--json"])
        .await;
    assert_eq!(
        again.code(5).error_json()["error"]["code"],
        "already_resolved"
    );
    let all = cm.run(&["approvals", "list", sid, "--all", "--json"]).await;
    assert_eq!(all.ok().json()[0]["decidedBy"], "cli");
}

/// A question of the model, answered with `tool-input decide` while `send --wait` waits.
async fn answer_a_question(cm: &Cm, sid: &str) {
    let waiting = cm.spawn(&["sessions", "send", sid, "ASK me", "--wait"]);
    waiting
        .wait_for_output("codex-manager tool-input decide")
        .await;
    let pending = cm.run(&["tool-input", "list", sid, "--json"]).await;
    let pending = pending.ok().json();
    assert_eq!(pending[0]["kind"], "userInput", "{pending}");
    let rid = pending[0]["id"].as_str().unwrap().to_owned();
    let table = cm.run(&["tool-input", "list", sid]).await;
    assert!(
        table.ok().stdout.contains("Which color?"),
        "{}",
        table.stdout
    );
    cm.run(&["approvals", "list", sid]).await.ok();

    let answered = cm
        .run(&["tool-input", "decide", sid, &rid, "--answer", "color=Red"])
        .await;
    assert!(
        answered.ok().stdout.contains("resolved"),
        "{}",
        answered.stdout
    );
    let out = waiting.finish().await;
    assert!(
        out.ok().stdout.contains("You chose:") && out.stdout.contains("Red"),
        "{out:?}"
    );
}

/// A slow reply interrupted from another process: `send --wait` exits 9.
async fn interrupt_a_turn(cm: &Cm, sid: &str) {
    let waiting = cm.spawn(&["sessions", "send", sid, "SLOW please", "--wait"]);
    waiting.wait_for_output("s3 ").await;
    let interrupted = cm.run(&["sessions", "interrupt", sid]).await;
    assert!(interrupted.ok().stdout.contains("interrupted turn"));
    let out = waiting.finish().await;
    out.code(9);
    assert!(out.stderr.contains("was interrupted"), "{}", out.stderr);
    assert!(
        !out.stdout.contains("s99"),
        "the whole reply came: {}",
        out.stdout
    );
}
