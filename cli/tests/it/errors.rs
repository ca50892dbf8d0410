//! Exit codes by error class, profiles and environment overrides, and the commands that need
//! no session, against the real stack.

use cm_e2e::{Service, TestStack};

use crate::cm::Cm;

#[tokio::test(flavor = "multi_thread")]
async fn errors_exit_by_class_and_profiles_choose_the_server() {
    let mut stack = TestStack::start(cm_mock_model::Script::text("ok"))
        .await
        .unwrap();
    let cm = Cm::against(&stack);

    // Health and readiness.
    let health = cm.run(&["system", "health", "--json"]).await;
    assert_eq!(health.ok().json()["status"], "ok");
    let ready = cm.run(&["system", "ready"]).await;
    assert!(ready.ok().stdout.contains("runtime"), "{}", ready.stdout);
    // Every service instance, as a table and as JSON.
    let services = cm.run(&["system", "services"]).await;
    let table = &services.ok().stdout;
    for name in [
        "cm-gateway",
        "cm-session",
        "cm-runtime-bridge",
        "cm-queue-worker",
    ] {
        assert!(table.contains(name), "{table}");
    }
    let services = cm.run(&["system", "services", "--json"]).await;
    assert_eq!(
        services.ok().json()["services"].as_array().unwrap().len(),
        4
    );

    // Auth: a wrong token, from the flag.
    let denied = cm
        .run(&["--token", "wrong", "sessions", "list", "--json"])
        .await;
    let report = denied.code(3).error_json();
    assert_eq!(
        (report["class"].as_str(), report["status"].as_u64()),
        (Some("auth"), Some(401))
    );

    // Not found, with the API's error in the report.
    let missing = cm
        .run(&["sessions", "get", "no-such-session", "--json"])
        .await;
    let report = missing.code(4).error_json();
    assert_eq!(report["error"]["code"], "not_found");
    let missing = cm.run(&["projects", "get", "no-such-project"]).await;
    assert!(
        missing.code(4).stderr.starts_with("error: not_found:"),
        "{}",
        missing.stderr
    );

    // Usage: refused by clap, and refused by the API.
    cm.run(&["sessions", "list", "--archived", "maybe"])
        .await
        .code(2);
    let invalid = cm
        .run(&[
            "api",
            "request",
            "POST",
            "/api/sessions",
            "--data",
            r#"{"bogus": 1}"#,
        ])
        .await;
    invalid.code(2);

    // Conflict: a project name taken; idempotency: the same key replays the first answer.
    let create = [
        "--idempotency-key",
        "k-1",
        "projects",
        "create",
        "twice",
        "--json",
    ];
    let first = cm.run(&create).await;
    let replay = cm.run(&create).await;
    assert_eq!(first.ok().json()["id"], replay.ok().json()["id"]);
    let clash = cm.run(&["projects", "create", "TWICE", "--json"]).await;
    assert_eq!(clash.code(5).error_json()["error"]["code"], "conflict");

    // The raw fallback and the command table.
    let raw = cm.run(&["api", "request", "GET", "/api/projects"]).await;
    assert!(
        raw.ok().json()["projects"]
            .as_array()
            .is_some_and(|p| p.len() == 1)
    );
    let table = cm.run(&["api", "operations", "--json"]).await;
    let table = table.ok().json();
    assert!(
        table
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["operationId"] == "decideRequest")
    );

    profiles(&stack).await;
    stream_survives_a_gateway_restart(&mut stack, &cm).await;

    // Unreachable: the gateway is gone.
    stack.stop_service(Service::Gateway).await.unwrap();
    let down = cm.run(&["sessions", "list"]).await;
    assert!(
        down.code(7).stderr.contains("cannot reach"),
        "{}",
        down.stderr
    );
}

/// Without `CM_URL`/`CM_TOKEN`, the CLI finds the server through its profiles; the
/// environment and `--profile` override them.
async fn profiles(stack: &TestStack) {
    let cm = Cm::bare();
    let (url, token) = (stack.api.base.as_str(), stack.api.token.as_str());

    // A profile pointing at a closed port: unreachable.
    let closed = format!("http://127.0.0.1:{}", cm_test_support::free_port());
    cm.run(&["profile", "set", "nowhere", "--url", &closed])
        .await
        .ok();
    cm.run(&["sessions", "list"]).await.code(7);

    // A second profile, made current: commands now reach the stack.
    let set = cm
        .run(&[
            "profile", "set", "stack", "--url", url, "--token", token, "--use",
        ])
        .await;
    assert!(set.ok().stdout.contains("(current)"), "{}", set.stdout);
    cm.run(&["sessions", "list"]).await.ok();
    let listed = cm.run(&["profile", "list"]).await;
    let current: Vec<&str> = listed
        .ok()
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('*'))
        .collect();
    assert_eq!(current.len(), 1, "{}", listed.stdout);
    assert!(current[0].contains("stack"), "{}", listed.stdout);

    // Tokens stay hidden unless asked for.
    let shown = cm.run(&["profile", "show", "--json"]).await;
    assert_ne!(shown.ok().json()["token"], token);
    let shown = cm.run(&["profile", "show", "--show-token", "--json"]).await;
    assert_eq!(shown.ok().json()["token"], token);
    let text =
        std::fs::read_to_string(cm.config_dir().join("codex-manager/profiles.toml")).unwrap();
    assert!(text.contains("current = \"stack\""), "{text}");

    // Overrides: --profile, then the environment over the profile.
    cm.run(&["--profile", "nowhere", "sessions", "list"])
        .await
        .code(7);
    cm.run_env(&["sessions", "list"], &[("CM_PROFILE", "nowhere")])
        .await
        .code(7);
    cm.run_env(&["sessions", "list"], &[("CM_TOKEN", "wrong")])
        .await
        .code(3);
    cm.run_env(&["sessions", "list"], &[("CM_URL", closed.as_str())])
        .await
        .code(7);
    cm.run(&["--profile", "nope", "sessions", "list"])
        .await
        .code(2);

    // Switching and removing.
    cm.run(&["profile", "use", "nowhere"]).await.ok();
    cm.run(&["sessions", "list"]).await.code(7);
    cm.run(&["profile", "use", "missing"]).await.code(4);
    cm.run(&["profile", "remove", "nowhere"]).await.ok();
    let listed = cm.run(&["profile", "list", "--json"]).await;
    let listed = listed.ok().json();
    assert_eq!(listed["current"], serde_json::Value::Null);
    assert_eq!(listed["profiles"].as_array().unwrap().len(), 1);
}

/// `stream` reconnects with `Last-Event-ID` when the gateway goes away and comes back: the
/// events on both sides of the restart arrive once each, in order.
async fn stream_survives_a_gateway_restart(stack: &mut TestStack, cm: &Cm) {
    let following = cm.spawn(&[
        "stream",
        "--scope",
        "project",
        "--kind",
        "project.updated",
        "--after",
        "0",
    ]);
    cm.run(&["projects", "create", "before-restart"]).await.ok();
    following.wait_for_output("before-restart").await;
    stack.restart_service(Service::Gateway).await.unwrap();
    cm.run(&["projects", "create", "after-restart"]).await.ok();
    following.wait_for_output("after-restart").await;
    let stderr = following.stderr();
    assert!(
        stderr.contains("reconnecting") && stderr.contains("Last-Event-ID"),
        "{stderr}"
    );
    let lines: Vec<serde_json::Value> = following
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l["data"]["project"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["twice", "before-restart", "after-restart"],
        "{lines:?}"
    );
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64())
    );
}
