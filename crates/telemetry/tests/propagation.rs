//! Propagation through NATS/HTTP headers with a real tracing-opentelemetry
//! layer backed by an in-memory exporter. Subscribers are installed per test
//! with `tracing::subscriber::with_default`, so tests can run in parallel;
//! the only global is the (idempotently set) W3C propagator.

#![allow(clippy::expect_used)] // test helpers outside #[test] functions

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

struct Harness {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
}

impl Harness {
    fn new() -> (Self, impl Subscriber + Send + Sync) {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("cm-telemetry-test")));
        (Self { exporter, provider }, subscriber)
    }

    fn finished(&self, name: &str) -> SpanData {
        self.provider.force_flush().expect("flush");
        self.exporter
            .get_finished_spans()
            .expect("finished spans")
            .into_iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("span {name} not exported"))
    }
}

fn ids(span: &tracing::Span) -> (TraceId, SpanId) {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    assert!(sc.is_valid(), "span has no valid OTel context");
    (sc.trace_id(), sc.span_id())
}

#[test]
fn inject_extract_round_trips_through_nats_headers() {
    let (_harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        let publish = tracing::info_span!("publish");
        let _entered = publish.enter();
        let (trace_id, span_id) = ids(&publish);

        let mut headers = async_nats::HeaderMap::new();
        cm_telemetry::inject_current(&mut headers);
        let traceparent = headers.get("traceparent").expect("traceparent header");
        assert_eq!(
            traceparent.as_str(),
            format!("00-{trace_id}-{span_id}-01"),
            "W3C traceparent of the current span"
        );

        let remote = cm_telemetry::extract(Some(&headers));
        let sc = remote.span().span_context().clone();
        assert!(sc.is_remote());
        assert_eq!(sc.trace_id(), trace_id);
        assert_eq!(sc.span_id(), span_id);
    });
}

#[test]
fn set_parent_from_links_consumer_span_to_publisher() {
    let (harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut headers = async_nats::HeaderMap::new();
        let (trace_id, publish_span_id) = {
            let publish = tracing::info_span!("publish");
            let _entered = publish.enter();
            cm_telemetry::inject_current(&mut headers);
            ids(&publish)
        };

        // A root span as far as `tracing` is concerned: only the headers link it.
        let consume = tracing::info_span!(parent: None, "consume");
        cm_telemetry::set_parent_from(&consume, Some(&headers));
        let (consume_trace_id, consume_span_id) = ids(&consume);
        assert_eq!(consume_trace_id, trace_id);
        assert_ne!(consume_span_id, publish_span_id);

        let child_trace_id = consume.in_scope(|| ids(&tracing::info_span!("handle")).0);
        assert_eq!(child_trace_id, trace_id);
        drop(consume);

        let exported = harness.finished("consume");
        assert_eq!(exported.span_context.trace_id(), trace_id);
        assert_eq!(exported.parent_span_id, publish_span_id);
        assert!(exported.parent_span_is_remote);
    });
}

#[test]
fn missing_or_empty_headers_leave_span_untouched() {
    let (_harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        assert!(!cm_telemetry::extract(None).has_active_span());
        let empty = async_nats::HeaderMap::new();
        assert!(!cm_telemetry::extract(Some(&empty)).has_active_span());

        let outer = tracing::info_span!("outer");
        let (outer_trace_id, _) = ids(&outer);
        let _entered = outer.enter();

        // No remote context: the span keeps its tracing parent.
        let inner = tracing::info_span!("inner");
        cm_telemetry::set_parent_from(&inner, None);
        cm_telemetry::set_parent_from(&inner, Some(&empty));
        assert_eq!(ids(&inner).0, outer_trace_id);
    });
}

#[test]
fn inject_without_span_writes_nothing() {
    let (_harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut headers = async_nats::HeaderMap::new();
        cm_telemetry::inject_current(&mut headers);
        assert!(headers.is_empty());
    });
}

#[test]
fn http_headers_continue_a_client_trace() {
    let (harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut request = http::HeaderMap::new();
        let (trace_id, client_span_id) = {
            let client = tracing::info_span!("cli_request");
            let _entered = client.enter();
            cm_telemetry::inject_current_http(&mut request);
            ids(&client)
        };
        assert!(request.contains_key("traceparent"));
        assert_eq!(
            cm_telemetry::extract_http(&request)
                .span()
                .span_context()
                .trace_id(),
            trace_id
        );

        let server = tracing::info_span!(parent: None, "gateway_request");
        cm_telemetry::set_parent_from_http(&server, &request);
        assert_eq!(ids(&server).0, trace_id);
        drop(server);

        let exported = harness.finished("gateway_request");
        assert_eq!(exported.parent_span_id, client_span_id);
    });
}

#[test]
fn external_traceparent_is_accepted() {
    let (_harness, subscriber) = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut request = http::HeaderMap::new();
        request.insert(
            "TraceParent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        let server = tracing::info_span!("gateway_request");
        cm_telemetry::set_parent_from_http(&server, &request);
        assert_eq!(
            ids(&server).0,
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex")
        );
    });
}
