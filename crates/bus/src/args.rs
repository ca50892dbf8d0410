//! Flags every service binary takes, with environment fallbacks. Parsed once in `main`.

use cm_telemetry::{LogFormat, TelemetryConfig};

#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// NATS server URL.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// OTLP/gRPC endpoint for traces and metrics (export is off when unset).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Log format on stderr: pretty or json.
    #[arg(long, env = "CM_LOG_FORMAT", default_value = "pretty")]
    pub log_format: LogFormat,
    /// Log filter (tracing-subscriber EnvFilter syntax).
    #[arg(long, env = "RUST_LOG")]
    pub log: Option<String>,
}

impl ServiceArgs {
    pub fn telemetry(&self) -> TelemetryConfig {
        TelemetryConfig {
            otlp_endpoint: self.otlp_endpoint.clone().filter(|e| !e.trim().is_empty()),
            log_format: self.log_format,
            filter: self.log.clone(),
        }
    }
}
