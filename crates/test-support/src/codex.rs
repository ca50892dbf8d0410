//! The real `codex` binary and a throw-away `CODEX_HOME` that points it at a mock model server.
//!
//! The home lives under `$HOME/.cache/codex-manager/test-homes/<uuid>`, not under `/tmp`, where
//! codex refuses to create its helper binaries. Its `config.toml` is the "Offline model" config
//! of `/work/shared/design/codex-runtime.md`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::process::{find_in_path, is_executable};
use crate::workspace_root;

/// Where the project's set-up installs the native codex binary, relative to the workspace.
const VENDORED_CODEX: &str =
    ".tools/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";

/// The value given to `MOCK_API_KEY`, which the mock provider reads.
pub const MOCK_API_KEY: &str = "mock-api-key";

/// The codex binary: `$CODEX_BIN`, else the project-local install under `.tools/`, else `codex`
/// on `PATH`; `None` if there is none (tests that need it should skip with a message).
pub fn codex_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("CODEX_BIN") {
        return Some(bin.into());
    }
    let vendored = workspace_root().join(VENDORED_CODEX);
    if is_executable(&vendored) {
        return Some(vendored);
    }
    find_in_path("codex")
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
        std::fs::write(&config, config_toml(mock_base_url))
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

fn config_toml(mock_base_url: &str) -> String {
    let base_url = toml_string(mock_base_url);
    format!(
        r#"model = "mock-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "read-only"

[model_providers.mock]
name = "mock"
base_url = {base_url}
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false

[analytics]
enabled = false
"#
    )
}

/// A TOML basic string.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
