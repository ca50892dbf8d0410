//! Installation of the global tracing subscriber and OpenTelemetry providers.
//!
//! The subscriber stack is
//! `Registry → EnvFilter → fmt (stderr) → tracing-opentelemetry`.
//! The OpenTelemetry layer is always present so that trace context is
//! continued and propagated even when nothing is exported; only when an OTLP
//! endpoint is configured does its tracer provider get a batch OTLP/gRPC
//! exporter (plus a periodic-reader OTLP meter provider set as the global
//! meter provider).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::{LogFormat, TelemetryConfig, TelemetryError};

/// Filter used when [`TelemetryConfig::filter`] is `None`.
const DEFAULT_FILTER: &str = "info";

/// Crates whose own spans/events must never reach the OpenTelemetry layer:
/// the exporter's transport stack (exporting its spans would feed back into
/// the exporter) and the OpenTelemetry crates' internal logs.
const EXPORTER_INTERNAL_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry-otlp",
    "opentelemetry_otlp",
    "tracing_opentelemetry",
];

/// Set once [`init`] has succeeded; cleared again if an attempt fails.
static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Keeps the OpenTelemetry providers alive; shuts them down when dropped.
///
/// Shutting down exports buffered spans and metrics. With an OTLP endpoint
/// this blocks the dropping thread for up to ~5 s per provider while the
/// export (which runs on the Tokio runtime `init` was called in) completes, so
/// drop it while that runtime is still running. On a current-thread runtime
/// the blocked thread is the one that would drive the export; prefer
/// [`TelemetryGuard::shutdown`] there.
#[must_use = "telemetry is shut down when the guard is dropped"]
#[derive(Debug)]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Flushes and shuts down the providers without blocking the async
    /// runtime (the blocking part runs on `spawn_blocking`). Must be called
    /// from within a Tokio runtime. Errors are logged, not returned.
    pub async fn shutdown(mut self) {
        let tracer_provider = self.tracer_provider.take();
        let meter_provider = self.meter_provider.take();
        let joined = tokio::task::spawn_blocking(move || {
            shutdown_providers(tracer_provider, meter_provider);
        })
        .await;
        if let Err(err) = joined {
            tracing::warn!(error = %err, "telemetry shutdown task failed");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        shutdown_providers(self.tracer_provider.take(), self.meter_provider.take());
    }
}

fn shutdown_providers(
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
) {
    if let Some(provider) = tracer_provider
        && let Err(err) = provider.shutdown()
    {
        tracing::warn!(error = %err, "tracer provider shutdown failed");
    }
    if let Some(provider) = meter_provider
        && let Err(err) = provider.shutdown()
    {
        tracing::warn!(error = %err, "meter provider shutdown failed");
    }
}

/// Installs the global tracing subscriber, OpenTelemetry providers and the
/// W3C TraceContext propagator for this process.
///
/// * Logs go to stderr, filtered by `cfg.filter` (default `"info"`); the
///   filter applies to exported spans too.
/// * With `cfg.otlp_endpoint` set, spans are exported via a batch OTLP/gRPC
///   exporter and metrics via a periodic reader (global meter provider);
///   resource attributes are `service.name` and `service.version` (plus
///   whatever the SDK reads from `OTEL_RESOURCE_ATTRIBUTES`). This case must
///   run inside a Tokio runtime, which has to outlive the returned guard.
///   Export failures (e.g. an unreachable collector) are only logged.
/// * Without an endpoint nothing is exported, but spans still get OTel trace
///   and span ids, so incoming context is continued and outgoing headers are
///   populated.
///
/// May succeed only once per process; later calls return
/// [`TelemetryError::AlreadyInitialized`]. A failed call installs nothing
/// except the (idempotent) global propagator and may be retried.
pub fn init(
    service_name: &'static str,
    service_version: &'static str,
    cfg: &TelemetryConfig,
) -> Result<TelemetryGuard, TelemetryError> {
    if INITIALIZED
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(TelemetryError::AlreadyInitialized);
    }
    let result = install(service_name, service_version, cfg, None);
    if result.is_err() {
        INITIALIZED.store(false, Ordering::Release);
    }
    result
}

/// Like [`init`], but every finished span is also kept in the returned in-memory exporter (and
/// nothing is logged), so a test can check that one trace spans several services.
#[cfg(feature = "testing")]
pub fn init_in_memory(
    service_name: &'static str,
    filter: &str,
) -> Result<
    (
        TelemetryGuard,
        opentelemetry_sdk::trace::InMemorySpanExporter,
    ),
    TelemetryError,
> {
    if INITIALIZED
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(TelemetryError::AlreadyInitialized);
    }
    let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
    let cfg = TelemetryConfig {
        otlp_endpoint: None,
        log_format: LogFormat::Off,
        filter: Some(filter.to_owned()),
    };
    let add = exporter.clone();
    let extra: ExtraExporter = Box::new(move |b| b.with_simple_exporter(add));
    match install(service_name, "test", &cfg, Some(extra)) {
        Ok(guard) => Ok((guard, exporter)),
        Err(e) => {
            INITIALIZED.store(false, Ordering::Release);
            Err(e)
        }
    }
}

/// Adds an exporter to the tracer provider (tests).
type ExtraExporter = Box<
    dyn FnOnce(
        opentelemetry_sdk::trace::TracerProviderBuilder,
    ) -> opentelemetry_sdk::trace::TracerProviderBuilder,
>;

fn install(
    service_name: &'static str,
    service_version: &'static str,
    cfg: &TelemetryConfig,
    extra: Option<ExtraExporter>,
) -> Result<TelemetryGuard, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let directives = cfg.filter.as_deref().unwrap_or(DEFAULT_FILTER);
    let env_filter =
        EnvFilter::try_new(directives).map_err(|source| TelemetryError::InvalidFilter {
            filter: directives.to_owned(),
            source,
        })?;

    let resource = Resource::builder()
        .with_service_name(service_name)
        .with_attribute(KeyValue::new("service.version", service_version))
        .build();

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let meter_provider = match cfg.otlp_endpoint.as_deref() {
        None => None,
        Some(endpoint) => {
            // The tonic channel spawns its connection task on the current runtime.
            if tokio::runtime::Handle::try_current().is_err() {
                return Err(TelemetryError::NoTokioRuntime);
            }
            let span_exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|source| TelemetryError::Exporter {
                    signal: "trace",
                    source,
                })?;
            let metric_exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|source| TelemetryError::Exporter {
                    signal: "metrics",
                    source,
                })?;
            tracer_builder = tracer_builder.with_batch_exporter(span_exporter);
            Some(
                SdkMeterProvider::builder()
                    .with_resource(resource)
                    .with_periodic_exporter(metric_exporter)
                    .build(),
            )
        }
    };
    if let Some(extra) = extra {
        tracer_builder = extra(tracer_builder);
    }
    let tracer_provider = tracer_builder.build();

    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer_provider.tracer(service_name))
        .with_filter(filter_fn(|meta| !is_exporter_internal(meta.target())));
    let (pretty_layer, json_layer) = match cfg.log_format {
        LogFormat::Pretty => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            ),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            ),
        ),
        LogFormat::Off => (None, None),
    };

    let installed = tracing_subscriber::registry()
        .with(env_filter)
        .with(pretty_layer)
        .with(json_layer)
        .with(otel_layer)
        .try_init();
    if let Err(err) = installed {
        shutdown_providers(Some(tracer_provider), meter_provider);
        return Err(err.into());
    }

    opentelemetry::global::set_tracer_provider(tracer_provider.clone());
    if let Some(provider) = &meter_provider {
        opentelemetry::global::set_meter_provider(provider.clone());
    }

    Ok(TelemetryGuard {
        tracer_provider: Some(tracer_provider),
        meter_provider,
    })
}

/// Whether `target` belongs to one of [`EXPORTER_INTERNAL_TARGETS`]
/// (the crate itself or one of its modules, not merely a common prefix).
fn is_exporter_internal(target: &str) -> bool {
    EXPORTER_INTERNAL_TARGETS.iter().any(|krate| {
        target
            .strip_prefix(krate)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

#[cfg(test)]
mod tests {
    use super::is_exporter_internal;

    #[test]
    fn exporter_internal_targets_match_crate_boundaries() {
        assert!(is_exporter_internal("h2"));
        assert!(is_exporter_internal("h2::proto::streams"));
        assert!(is_exporter_internal("tonic::transport"));
        assert!(is_exporter_internal("tower::buffer::worker"));
        assert!(is_exporter_internal("opentelemetry-otlp"));
        assert!(is_exporter_internal("opentelemetry_sdk"));
        assert!(!is_exporter_internal("tower_http::trace::on_request"));
        assert!(!is_exporter_internal("h2o"));
        assert!(!is_exporter_internal("cm_gateway::routes"));
        assert!(!is_exporter_internal("async_nats"));
    }
}
