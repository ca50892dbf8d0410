//! The real `codex` binary and a throw-away `CODEX_HOME` that points it at a mock model server.
//!
//! The home lives under `$HOME/.cache/codex-manager/test-homes/<uuid>`, not under `/tmp`, where
//! codex refuses to create its helper binaries. Its `config.toml` is the "Offline model" config
//! of `/work/shared/design/codex-runtime.md` ([`cm_local_infra::codex::offline_config_toml`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cm_local_infra::bins::{find_in_path, vendored_codex};
use cm_local_infra::codex::offline_config_toml;

use crate::workspace_root;

/// The value given to `MOCK_API_KEY`, which the mock provider reads.
pub const MOCK_API_KEY: &str = "mock-api-key";

/// The codex binary: `$CODEX_BIN`, else the project-local install under `.tools/`, else `codex`
/// on `PATH`; `None` if there is none (tests that need it should skip with a message).
pub fn codex_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("CODEX_BIN") {
        return Some(bin.into());
    }
    vendored_codex(&workspace_root()).or_else(|| find_in_path("codex"))
}

/// A throw-away `CODEX_HOME` whose `config.toml` uses the mock provider; removed on drop.
#[derive(Debug)]
pub struct CodexHome {
    path: PathBuf,
}

impl CodexHome {
    /// Creates the directory and writes `config.toml` with `mock_base_url` (for example
    /// `http://127.0.0.1:PORT/v1`) as the mock provider's base URL.
    pub fn create(mock_base_url: &str) -> anyhow::Result<Self> {
        let home = std::env::var_os("HOME").context("HOME is not set")?;
        let path = PathBuf::from(home)
            .join(".cache/codex-manager/test-homes")
            .join(uuid::Uuid::new_v4().to_string());
        std::fs::create_dir_all(&path)
            .with_context(|| format!("creating CODEX_HOME {}", path.display()))?;
        let home = Self { path };
        let config = home.config_path();
        std::fs::write(&config, offline_config_toml(mock_base_url))
            .with_context(|| format!("writing {}", config.display()))?;
        Ok(home)
    }

    /// The directory, to be passed as `CODEX_HOME`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its `config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.path.join("config.toml")
    }

    /// The environment codex needs with this home: `CODEX_HOME` and `MOCK_API_KEY`.
    pub fn envs(&self) -> [(&'static str, OsString); 2] {
        [
            ("CODEX_HOME", self.path.clone().into_os_string()),
            ("MOCK_API_KEY", MOCK_API_KEY.into()),
        ]
    }
}

impl Drop for CodexHome {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "removing CODEX_HOME");
        }
    }
}
