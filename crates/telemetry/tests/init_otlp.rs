//! `init` with OTLP export towards a closed port. Installs process-wide
//! globals, so it lives in its own test binary with a single test.

#![allow(clippy::expect_used)] // test helpers outside #[test] functions

use std::time::{Duration, Instant};

use cm_telemetry::{LogFormat, TelemetryConfig, TelemetryError};

fn closed_port_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_with_unreachable_collector_works_once() {
    let cfg = TelemetryConfig {
        otlp_endpoint: Some(closed_port_endpoint()),
        log_format: LogFormat::Json,
        filter: Some("info".to_owned()),
    };

    // Failed attempts install nothing and can be retried.
    let bad_filter = TelemetryConfig {
        filter: Some("info,=[".to_owned()),
        ..cfg.clone()
    };
    assert!(matches!(
        cm_telemetry::init("cm-telemetry-test", "0.0.0", &bad_filter),
        Err(TelemetryError::InvalidFilter { .. })
    ));
    let no_runtime = {
        let cfg = cfg.clone();
        std::thread::spawn(move || cm_telemetry::init("cm-telemetry-test", "0.0.0", &cfg))
            .join()
            .expect("thread")
    };
    assert!(matches!(no_runtime, Err(TelemetryError::NoTokioRuntime)));

    let guard = cm_telemetry::init("cm-telemetry-test", "0.0.0", &cfg).expect("init");

    // Produce a span and a metric that the exporter will fail to send.
    {
        let span = tracing::info_span!("work");
        let _entered = span.enter();
        tracing::info!("doing work");
        let mut headers = async_nats::HeaderMap::new();
        cm_telemetry::inject_current(&mut headers);
        assert!(headers.get("traceparent").is_some());
    }
    let counter = cm_telemetry::meter("cm-telemetry-test")
        .u64_counter("cm_telemetry_test_events")
        .build();
    counter.add(1, &[]);

    assert!(matches!(
        cm_telemetry::init("cm-telemetry-test", "0.0.0", &cfg),
        Err(TelemetryError::AlreadyInitialized)
    ));

    // Dropping the guard flushes into the closed port: must fail quietly and
    // return in bounded time.
    let started = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || drop(guard)),
    )
    .await
    .expect("guard drop hung")
    .expect("guard drop panicked");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "shutdown took {:?}",
        started.elapsed()
    );

    // Still only once per process.
    assert!(matches!(
        cm_telemetry::init("cm-telemetry-test", "0.0.0", &cfg),
        Err(TelemetryError::AlreadyInitialized)
    ));
}
