//! `codex-manager jobs` against the real stack: `enqueue --wait` follows a job to its end (exit
//! 0 completed, 10 failed, 11 canceled), `list` and `get` show tables or `--json`, `cancel`.

use cm_e2e::TestStack;
use cm_mock_model::Script;

use crate::cm::Cm;

#[tokio::test(flavor = "multi_thread")]
async fn jobs_enqueue_wait_list_get_cancel() {
    let stack = TestStack::start(Script::text("ok")).await.unwrap();
    let cm = Cm::against(&stack);

    // --wait follows the job to completed: exit 0, the final record as JSON.
    let done = cm
        .run(&[
            "jobs",
            "enqueue",
            "--kind",
            "noop",
            "--sleep-ms",
            "50",
            "--wait",
            "--json",
        ])
        .await;
    let job = done.ok().json();
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["attempts"], 1);
    let id = job["id"].as_str().unwrap().to_owned();

    // A retryable failure is retried; a fatal one ends the job failed: exit 10.
    let failed = cm
        .run(&[
            "jobs",
            "enqueue",
            "--kind",
            "noop",
            "--fatal",
            "--max-attempts",
            "1",
            "--wait",
        ])
        .await;
    failed.code(10);
    assert!(failed.stderr.contains("failed"), "{}", failed.stderr);
    assert!(failed.stdout.contains("fatal"), "{}", failed.stdout);

    // --spec, a dedupe key and a later start: queued; the same key answers that job.
    let spec = r#"{"kind": "noop"}"#;
    let queued = cm
        .run(&[
            "jobs",
            "enqueue",
            "--spec",
            spec,
            "--dedupe-key",
            "cli-nightly",
            "--run-after",
            "+1h",
            "--priority",
            "interactive",
            "--project",
            "cli-project",
            "--json",
        ])
        .await;
    let queued = queued.ok().json();
    assert_eq!(queued["deduplicated"], false);
    assert_eq!(queued["job"]["priority"], "interactive");
    let held = queued["job"]["id"].as_str().unwrap().to_owned();
    let dup = cm
        .run(&[
            "jobs",
            "enqueue",
            "--kind",
            "noop",
            "--dedupe-key",
            "cli-nightly",
        ])
        .await;
    assert!(
        dup.ok()
            .stdout
            .contains(&format!("job {held} already queued (deduplicated)")),
        "{}",
        dup.stdout
    );

    // The list as a table and as JSON, filtered.
    let table = cm.run(&["jobs", "list"]).await;
    let out = &table.ok().stdout;
    assert!(
        out.contains("STATE") && out.contains(&id) && out.contains(&held),
        "{out}"
    );
    let project = cm
        .run(&[
            "jobs",
            "list",
            "--project",
            "cli-project",
            "--state",
            "queued",
            "--json",
        ])
        .await;
    let page = project.ok().json();
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["jobs"][0]["id"], held.as_str());
    let first = cm.run(&["jobs", "list", "--limit", "1"]).await;
    assert!(
        first.ok().stdout.contains("more: --cursor"),
        "{}",
        first.stdout
    );

    // get: a key/value table.
    let get = cm.run(&["jobs", "get", &id]).await;
    let out = &get.ok().stdout;
    assert!(out.contains("completed") && out.contains("1 of 3"), "{out}");

    // Cancel the queued job; --wait on a job that gets canceled exits 11.
    let cancel = cm.run(&["jobs", "cancel", &held]).await;
    assert!(cancel.ok().stdout.contains("canceled"), "{}", cancel.stdout);
    let wait = cm.spawn(&[
        "jobs",
        "enqueue",
        "--kind",
        "noop",
        "--sleep-ms",
        "60000",
        "--wait",
        "--json",
    ]);
    let running = loop {
        let page = stack.api.get("/api/jobs?state=running").await.unwrap();
        if let Some(id) = page["jobs"][0]["id"].as_str() {
            break id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    cm.run(&["jobs", "cancel", &running]).await.ok();
    let out = wait.finish().await;
    out.code(11);
    assert_eq!(out.json()["state"], "canceled");

    // Usage errors: no spec, both, an unknown job.
    cm.run(&["jobs", "enqueue"]).await.code(2);
    cm.run(&["jobs", "enqueue", "--kind", "noop", "--spec", spec])
        .await
        .code(2);
    cm.run(&["jobs", "enqueue", "--spec", r#"{"kind": "reindex"}"#])
        .await
        .code(2);
    cm.run(&["jobs", "get", "not-a-job"]).await.code(4);
}
