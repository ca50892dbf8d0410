//! One trace follows a request from HTTP through the session service and the runtime bridge
//! into the app-server call. Its own test binary: it installs the process-wide tracer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use cm_e2e::TestStack;
use cm_mock_model::Script;

#[tokio::test(flavor = "multi_thread")]
async fn a_message_is_one_trace_from_http_to_the_runtime() {
    let filter = "warn,cm_gateway=info,cm_bus=info,cm_session=info,cm_runtime_bridge=info";
    let (_guard, spans) = cm_telemetry::init_in_memory("cm-e2e", filter).unwrap();
    let script = Script::from_value(serde_json::json!({
        "rules": [ { "steps": [ { "type": "message", "text": "traced" } ] } ]
    }))
    .unwrap();
    let stack = TestStack::start(script).await.unwrap();
    let sid = stack.api.create_session().await.unwrap();

    // The caller's trace context, as a browser or the CLI would send it.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resp = reqwest::Client::new()
        .post(stack.api.url(&format!("/api/sessions/{sid}/messages")))
        .bearer_auth(&stack.api.token)
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({ "text": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);

    let wanted = ["http.request", "bus.handle", "appserver.call"];
    let found = cm_test_support::wait_for("spans of the trace", Duration::from_secs(10), || {
        let spans = spans.clone();
        async move {
            let names: BTreeSet<String> = spans
                .get_finished_spans()?
                .into_iter()
                .filter(|s| s.span_context.trace_id().to_string() == trace_id)
                .map(|s| {
                    let subject = s
                        .attributes
                        .iter()
                        .find(|kv| {
                            kv.key.as_str() == "messaging.destination"
                                || kv.key.as_str() == "rpc.method"
                        })
                        .map(|kv| kv.value.to_string())
                        .unwrap_or_default();
                    format!("{} {subject}", s.name)
                })
                .collect();
            let complete = wanted
                .iter()
                .all(|w| names.iter().any(|n| n.starts_with(w)))
                && names.iter().any(|n| n.contains("cm.v1.session.turn.start"))
                && names.iter().any(|n| n.contains("cm.v1.runtime.turn.start"))
                && names.iter().any(|n| n.contains("turn/start"));
            anyhow::ensure!(complete, "so far: {names:?}");
            Ok(names)
        }
    })
    .await
    .unwrap();
    println!("spans of trace {trace_id}: {found:?}");
}
