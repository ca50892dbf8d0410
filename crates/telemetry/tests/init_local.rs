//! `init` without an OTLP endpoint (no Tokio runtime needed): nothing is
//! exported, but trace context is still continued and propagated. Installs
//! process-wide globals, so it lives in its own test binary.

use cm_telemetry::{LogFormat, TelemetryConfig};

#[test]
fn init_without_endpoint_still_propagates_context() {
    let guard = cm_telemetry::init(
        "cm-telemetry-test",
        "0.0.0",
        &TelemetryConfig {
            otlp_endpoint: None,
            log_format: LogFormat::Pretty,
            filter: None,
        },
    )
    .expect("init");

    let mut incoming = http::HeaderMap::new();
    incoming.insert(
        "traceparent",
        http::HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    let request = tracing::info_span!("gateway_request");
    cm_telemetry::set_parent_from_http(&request, &incoming);
    let _entered = request.enter();
    tracing::info!("handling request");

    let mut outgoing = async_nats::HeaderMap::new();
    cm_telemetry::inject_current(&mut outgoing);
    let traceparent = outgoing.get("traceparent").expect("traceparent").as_str();
    assert!(
        traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "new span id expected"
    );

    // Without an endpoint the global meter is a harmless no-op.
    cm_telemetry::meter("cm-telemetry-test")
        .u64_counter("noop")
        .build()
        .add(1, &[]);

    assert!(cm_telemetry::init("cm-telemetry-test", "0.0.0", &TelemetryConfig::default()).is_err());
    drop(guard);
}
