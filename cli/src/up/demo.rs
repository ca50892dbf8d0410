//! `--demo`: codex talks to `cm-mock-model` (its built-in demo script) instead of a real model.
//!
//! The model server runs as one more supervised child on a port chosen up front, so a restart
//! keeps its address. `<data>/codex-home-demo/config.toml` (the "Offline model" config of
//! codex-runtime.md, rewritten on every run for the new port) points codex at it; the bridge gets
//! that directory as `CODEX_HOME` and `MOCK_API_KEY=demo`, which reach codex through the
//! environment. The home must not be under `/tmp`, where codex refuses to create its helpers.

use std::ffi::OsString;

use anyhow::Context;
use cm_local_infra::codex::{MOCK_API_KEY_ENV, offline_config_toml};

use super::console::Console;
use super::layout::Layout;
use super::locate::ServiceBins;
use super::services::ServiceSpec;

/// The demo's model server and what the bridge needs to use it.
pub struct Demo {
    pub base_url: String,
    pub model_server: ServiceSpec,
    pub bridge_env: Vec<(String, OsString)>,
}

/// Picks the port, writes the codex home, and describes the model server to start.
pub fn prepare(layout: &Layout, bins: &ServiceBins, console: &Console) -> anyhow::Result<Demo> {
    let port = cm_local_infra::free_port().context("finding a port for the mock model")?;
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let home = &layout.codex_home_demo;
    super::layout::private_dir(home)?;
    let config = home.join("config.toml");
    std::fs::write(&config, offline_config_toml(&base_url))
        .with_context(|| format!("writing {}", config.display()))?;
    if home.starts_with("/tmp") {
        console.alert(&format!(
            "{} is under /tmp, where codex refuses to create its helper binaries; prefer a \
             --data-dir elsewhere",
            home.display()
        ));
    }
    Ok(Demo {
        model_server: ServiceSpec {
            name: "mock-model",
            bin: bins.path("cm-mock-model"),
            args: vec!["--addr".into(), format!("127.0.0.1:{port}")],
            env: Vec::new(),
        },
        bridge_env: vec![
            ("CODEX_HOME".into(), home.clone().into_os_string()),
            (MOCK_API_KEY_ENV.into(), "demo".into()),
        ],
        base_url,
    })
}
