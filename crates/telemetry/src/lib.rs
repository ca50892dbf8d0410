//! Tracing and OpenTelemetry setup shared by the Codex Manager services.
//!
//! Every service calls [`init`] once at startup (from inside its Tokio
//! runtime) and keeps the returned [`TelemetryGuard`] alive until shutdown:
//!
//! ```no_run
//! # async fn run() -> Result<(), cm_telemetry::TelemetryError> {
//! let cfg = cm_telemetry::TelemetryConfig {
//!     otlp_endpoint: Some("http://localhost:4317".to_owned()),
//!     log_format: cm_telemetry::LogFormat::Json,
//!     filter: Some("info,cm_gateway=debug".to_owned()),
//! };
//! let _telemetry = cm_telemetry::init("cm-gateway", env!("CARGO_PKG_VERSION"), &cfg)?;
//! // ... run the service; dropping the guard flushes spans and metrics.
//! # Ok(())
//! # }
//! ```
//!
//! The services talk over NATS, so trace context travels in NATS message
//! headers: publishers call [`inject_current`], consumers call
//! [`set_parent_from`] on the span that handles the message. The gateway
//! continues traces started by browsers/the CLI with [`extract_http`] /
//! [`set_parent_from_http`].
//!
//! Configuration comes from each service's command line (with env fallbacks
//! handled there); this crate reads no environment variables itself, apart
//! from the standard `OTEL_*` variables the OpenTelemetry SDK honours.

mod init;
mod propagation;

#[cfg(feature = "testing")]
pub use init::init_in_memory;
pub use init::{TelemetryGuard, init};
pub use propagation::{
    current_trace_id, extract, extract_http, inject_current, inject_current_http, set_parent_from,
    set_parent_from_http,
};

use std::fmt;
use std::str::FromStr;

/// Telemetry settings, usually filled from a service's CLI flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// OTLP/gRPC collector endpoint, e.g. `http://localhost:4317`.
    ///
    /// `None` disables trace and metric export; logs still go to stderr and
    /// trace context is still propagated.
    pub otlp_endpoint: Option<String>,
    /// Format of the stderr log output.
    pub log_format: LogFormat,
    /// `EnvFilter` directives (`RUST_LOG` syntax); `None` means `"info"`.
    pub filter: Option<String>,
}

/// Format of the log lines written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable single-line output (ANSI colours when stderr is a TTY).
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
    /// No log output (spans are still created and exported).
    Off,
}

impl LogFormat {
    /// The canonical lowercase name (`"pretty"` or `"json"`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
            LogFormat::Off => "off",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `"pretty"` or `"json"` (ASCII case-insensitive), so a service can
/// use `LogFormat` directly as a clap argument type.
impl FromStr for LogFormat {
    type Err = ParseLogFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("pretty") {
            Ok(LogFormat::Pretty)
        } else if s.eq_ignore_ascii_case("json") {
            Ok(LogFormat::Json)
        } else if s.eq_ignore_ascii_case("off") {
            Ok(LogFormat::Off)
        } else {
            Err(ParseLogFormatError(s.to_owned()))
        }
    }
}

/// Returned by [`LogFormat::from_str`] for an unknown format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log format {0:?} (expected \"pretty\" or \"json\")")]
pub struct ParseLogFormatError(pub String);

/// Errors returned by [`init`].
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// [`init`] was already called successfully in this process.
    #[error("telemetry is already initialised in this process")]
    AlreadyInitialized,
    /// The log filter directives could not be parsed.
    #[error("invalid log filter {filter:?}: {source}")]
    InvalidFilter {
        /// The rejected directives.
        filter: String,
        /// Parser error.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// OTLP export was requested but `init` was not called inside a Tokio
    /// runtime (the gRPC exporter needs one).
    #[error("OTLP export needs a Tokio runtime: call init from inside one")]
    NoTokioRuntime,
    /// An OTLP exporter could not be built (e.g. a malformed endpoint, or an
    /// `https://` endpoint, which needs a TLS feature this build lacks).
    #[error("cannot build the OTLP {signal} exporter: {source}")]
    Exporter {
        /// `"trace"` or `"metrics"`.
        signal: &'static str,
        /// Builder error.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// Another global tracing subscriber (or `log` logger) is already
    /// installed.
    #[error("cannot install the global tracing subscriber: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

/// A [`Meter`](opentelemetry::metrics::Meter) from the global meter provider.
///
/// After [`init`] with an OTLP endpoint this records to the exporting
/// provider; otherwise (or before `init`) it is a no-op meter.
pub fn meter(name: &'static str) -> opentelemetry::metrics::Meter {
    opentelemetry::global::meter(name)
}
