//! Approvals and tool input end to end: the runtime asks, a decision over the API reaches it
//! exactly once, and the turn goes on.

use cm_e2e::kinds;
use cm_schemas::EventBody;
use cm_schemas::request::RequestKind;
use serde_json::json;

use crate::runtime_script::{
    COMMAND, approval_stack, completed, decision_path, is_turn_end, opened, send_until_request,
    until,
};

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_command_runs_and_the_turn_completes() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let req = send_until_request(api, &sid, "RUN_SHELL please", &mut events).await;
    assert_eq!(req.kind, RequestKind::CommandApproval);
    assert!(req.params["command"].as_str().unwrap().contains(COMMAND));

    // Listed as pending, then decided.
    let list = format!("/api/sessions/{sid}/requests");
    let pending = cm_test_support::wait_for(
        "request recorded",
        std::time::Duration::from_secs(10),
        || async {
            let v = api.get(&list).await?;
            anyhow::ensure!(v.as_array().is_some_and(|a| !a.is_empty()), "not yet");
            Ok(v)
        },
    )
    .await
    .unwrap();
    assert_eq!(pending[0]["id"], req.id.as_str());
    assert_eq!(pending[0]["status"], "pending");
    // The kind filter: a command approval is an `approval`, neither tool input nor a tool call.
    let approvals = api.get(&format!("{list}?kind=approval")).await.unwrap();
    assert_eq!(approvals.as_array().unwrap().len(), 1, "{approvals}");
    assert_eq!(approvals[0]["id"], req.id.as_str());
    for other in ["toolInput", "toolCall"] {
        let none = api.get(&format!("{list}?kind={other}")).await.unwrap();
        assert_eq!(none, json!([]), "{other}");
    }
    // Across sessions: another session's list stays empty, the global one has the request.
    let other = api.create_session().await.unwrap();
    let theirs = api
        .get(&format!("/api/sessions/{other}/requests"))
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    let everyone = api.get("/api/requests?kind=approval").await.unwrap();
    assert_eq!(everyone.as_array().unwrap().len(), 1, "{everyone}");
    assert_eq!(everyone[0]["sessionId"], sid.as_str());
    let none = api.get("/api/requests?kind=toolInput").await.unwrap();
    assert_eq!(none, json!([]));
    let (status, body) = api
        .get_raw(&format!("{list}?kind=approvals"))
        .await
        .unwrap();
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["details"]["field"].as_str()
        ),
        (400, Some("validation"), Some("kind"))
    );
    let path = decision_path(&sid, &req.id);
    let decided = api
        .post(&path, json!({ "decision": "accept" }))
        .await
        .unwrap();
    assert_eq!(decided["status"], "resolved");
    assert_eq!(decided["decidedBy"], "api");
    // Decided: no longer pending anywhere, still listed with `includeResolved`.
    assert_eq!(api.get("/api/requests").await.unwrap(), json!([]));
    let all = api.get("/api/requests?includeResolved=true").await.unwrap();
    assert_eq!(all[0]["status"], "resolved", "{all}");

    let evs = until(&mut events, is_turn_end).await;
    let resolved = evs.iter().find_map(|e| match &e.event.body {
        EventBody::RequestResolved {
            request_id,
            decided_by,
            ..
        } => Some((request_id.clone(), decided_by.clone())),
        _ => None,
    });
    assert_eq!(
        resolved,
        Some((req.id.clone(), Some("api".to_owned()))),
        "{:?}",
        kinds(&evs)
    );
    let cmd = completed(&evs, "commandExecution").unwrap();
    assert_eq!(cmd["status"], "completed", "{cmd}");
    assert!(
        cmd["aggregatedOutput"]
            .as_str()
            .unwrap()
            .contains("hello-from-test")
    );
    match &evs.last().unwrap().event.body {
        EventBody::TurnCompleted { status, .. } => assert_eq!(status.as_str(), "completed"),
        other => panic!("{other:?}"),
    }
    // The final answer quotes the command output the model received.
    let answer = completed(&evs, "agentMessage").unwrap();
    assert!(
        answer["text"].as_str().unwrap().contains("hello-from-test"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_command_does_not_run_and_repeats_and_conflicts_are_refused() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();

    // Turn 1: decline, then the same decision again, then a different one.
    let req = send_until_request(api, &sid, "RUN_SHELL please", &mut events).await;
    let path = decision_path(&sid, &req.id);
    let decided = api
        .post(&path, json!({ "decision": "decline" }))
        .await
        .unwrap();
    assert_eq!(decided["response"]["decision"], "decline");
    let (status, body) = api
        .post_raw(&path, &json!({ "decision": "decline" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_resolved"))
    );
    let (status, body) = api
        .post_raw(&path, &json!({ "decision": "accept" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    let (status, body) = api
        .post_raw(&path, &json!({ "decision": "maybe" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (400, Some("decision"))
    );
    let evs = until(&mut events, is_turn_end).await;
    let cmd = completed(&evs, "commandExecution").unwrap();
    assert_eq!(cmd["status"], "declined", "{cmd}");

    // Turn 2: two different decisions race; exactly one reaches the runtime.
    let req = send_until_request(api, &sid, "RUN_SHELL again", &mut events).await;
    let path = decision_path(&sid, &req.id);
    let (decline, accept) = (
        json!({ "decision": "decline" }),
        json!({ "decision": "accept" }),
    );
    let (a, b) = tokio::join!(api.post_raw(&path, &decline), api.post_raw(&path, &accept));
    let (a, b) = (a.unwrap(), b.unwrap());
    let statuses = [a.0, b.0];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "{a:?} {b:?}"
    );
    let (winner, loser) = if a.0 == 200 { (a, b) } else { (b, a) };
    assert_eq!(loser.1["error"]["code"], "conflict");
    let won = winner.1["response"]["decision"]
        .as_str()
        .unwrap()
        .to_owned();
    let evs = until(&mut events, is_turn_end).await;
    let resolutions = evs
        .iter()
        .filter(|e| matches!(e.event.body, EventBody::RequestResolved { .. }))
        .count();
    assert_eq!(resolutions, 1, "exactly one response reached the runtime");
    let cmd = completed(&evs, "commandExecution").unwrap();
    let expected = if won == "accept" {
        "completed"
    } else {
        "declined"
    };
    assert_eq!(cmd["status"], expected, "{cmd}");
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_for_the_session_covers_the_next_identical_command() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let req = send_until_request(api, &sid, "TWICE please", &mut events).await;
    let path = decision_path(&sid, &req.id);
    let decided = api
        .post(&path, json!({ "decision": "accept", "scope": "session" }))
        .await
        .unwrap();
    assert_eq!(decided["response"]["decision"], "acceptForSession");

    let evs = until(&mut events, is_turn_end).await;
    let asked = evs.iter().filter(|e| opened(e).is_some()).count();
    assert_eq!(
        asked,
        0,
        "the second command needed no approval: {:?}",
        kinds(&evs)
    );
    let runs = evs
        .iter()
        .filter(|e| matches!(&e.event.body, EventBody::ItemCompleted { item_type, .. } if item_type == "commandExecution"))
        .count();
    assert_eq!(runs, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_change_is_applied_after_its_approval() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let overrides = json!({ "sandbox": "read-only" });
    api.post(
        &format!("/api/sessions/{sid}/messages"),
        json!({ "text": "APPLY_PATCH now", "overrides": overrides }),
    )
    .await
    .unwrap();
    let evs = until(&mut events, |e| opened(e).is_some()).await;
    let req = opened(evs.last().unwrap()).unwrap().clone();
    assert_eq!(req.kind, RequestKind::FileChangeApproval, "{req:?}");
    let path = decision_path(&sid, &req.id);
    api.post(&path, json!({ "decision": "accept" }))
        .await
        .unwrap();
    let evs = until(&mut events, is_turn_end).await;
    let change = completed(&evs, "fileChange").unwrap();
    assert_eq!(change["status"], "completed", "{change}");
    let written = std::fs::read_to_string(stack.workdir.path().join("hello.txt")).unwrap();
    assert_eq!(written.trim(), "hi there");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_is_answered_through_the_api() {
    let stack = approval_stack().await;
    let api = &stack.api;
    let sid = api.create_session().await.unwrap();
    let mut events = api.events(&sid, None).await.unwrap();
    let req = send_until_request(api, &sid, "ASK me", &mut events).await;
    assert_eq!(req.kind, RequestKind::UserInput);
    assert_eq!(req.params["questions"][0]["id"], "color");
    // A question is `toolInput` in the kind filter.
    let list = format!("/api/sessions/{sid}/requests");
    let inputs = cm_test_support::wait_for(
        "request recorded",
        std::time::Duration::from_secs(10),
        || async {
            let v = api.get(&format!("{list}?kind=toolInput")).await?;
            anyhow::ensure!(v.as_array().is_some_and(|a| !a.is_empty()), "not yet");
            Ok(v)
        },
    )
    .await
    .unwrap();
    assert_eq!(inputs[0]["id"], req.id.as_str());
    let approvals = api.get(&format!("{list}?kind=approval")).await.unwrap();
    assert_eq!(approvals, json!([]));
    let path = decision_path(&sid, &req.id);
    // A question needs a full response, not a decision.
    let (status, body) = api
        .post_raw(&path, &json!({ "decision": "accept" }))
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (400, Some("response"))
    );
    let answer = json!({ "response": { "answers": { "color": { "answers": ["Red"] } } } });
    api.post(&path, answer).await.unwrap();
    let evs = until(&mut events, is_turn_end).await;
    let text = completed(&evs, "agentMessage").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("Red"), "{text}");
}
