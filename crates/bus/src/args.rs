//! Flags every service binary takes, with environment fallbacks. Parsed once in `main`.

use std::path::PathBuf;

use anyhow::Context;
use cm_telemetry::{LogFormat, TelemetryConfig};

use crate::auth::Identity;
use crate::auth::credentials::PRINCIPALS_FILE;
use crate::{Bus, ConnectTo};

#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// NATS server URL (`tls://` with --nats-ca-file).
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// This service's NATS user: a file holding its nkey seed (`codex-manager bus credentials`
    /// writes one per principal). Without it the service connects anonymously, which a secured
    /// server refuses.
    #[arg(long, env = "CM_NATS_NKEY_FILE")]
    pub nats_nkey_file: Option<PathBuf>,
    /// The public keys of the bus principals; default `principals.json` beside the nkey file.
    #[arg(long, env = "CM_BUS_PRINCIPALS")]
    pub bus_principals: Option<PathBuf>,
    /// CA certificate (PEM) that signed the NATS server's certificate; requires TLS.
    #[arg(long, env = "CM_NATS_CA_FILE")]
    pub nats_ca_file: Option<PathBuf>,
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

    /// The identity named by `--nats-nkey-file`, if any.
    pub fn identity(&self) -> anyhow::Result<Option<Identity>> {
        let Some(seed) = &self.nats_nkey_file else {
            return Ok(None);
        };
        let principals = match &self.bus_principals {
            Some(path) => path.clone(),
            None => seed
                .parent()
                .context("the nkey file has no directory")?
                .join(PRINCIPALS_FILE),
        };
        Identity::load(seed, &principals).map(Some)
    }

    /// Connects to NATS as this service (`name` is the connection name).
    pub async fn connect(&self, name: &str) -> anyhow::Result<Bus> {
        let identity = self.identity()?;
        if identity.is_none() {
            tracing::warn!(
                "no --nats-nkey-file: connecting to NATS anonymously (a secured server refuses)"
            );
        }
        Ok(Bus::connect_to(ConnectTo {
            url: self.nats_url.clone(),
            name: name.to_owned(),
            identity,
            tls_ca: self.nats_ca_file.clone(),
        })
        .await?)
    }
}
