//! The gateway's own flags (beside [`cm_bus::ServiceArgs`]), with environment fallbacks, and
//! how they become a [`Config`] and a listen address.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::Config;

#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, env = "CM_HTTP_ADDR", default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// File holding the bearer token; created with mode 0600 on first run.
    #[arg(long, env = "CM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Data directory (the token lives here unless --token-file is given).
    #[arg(long, env = "CM_DATA_DIR", default_value = ".codex-manager")]
    pub data_dir: PathBuf,
    /// Directory of the built web UI to serve at `/`.
    #[arg(long, env = "CM_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Append one JSON line per request (method, route, status, duration) to this file.
    #[arg(long, env = "CM_ACCESS_LOG")]
    pub access_log: Option<PathBuf>,
    /// Another origin whose pages may call the API (repeat, or comma-separate in the env);
    /// by default only the gateway's own origin, which serves the UI.
    #[arg(long = "cors-origin", env = "CM_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

impl GatewayArgs {
    /// The configuration these flags name, loading (or creating) the token file.
    pub fn config(self) -> anyhow::Result<Config> {
        let token_file = self
            .token_file
            .unwrap_or_else(|| self.data_dir.join("token"));
        let token = crate::load_or_create_token(&token_file)
            .with_context(|| format!("token file {}", token_file.display()))?;
        let mut cfg = Config::new(token);
        cfg.web_dir = self.web_dir;
        cfg.access_log = self.access_log;
        cfg.cors_origins = self.cors_origins;
        Ok(cfg)
    }
}

/// Binds the gateway's listener on `addr`.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))
}
