//! The `cm-mock-model` binary prints its address and serves the demo script.

use std::process::Stdio;

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::TIMEOUT;

#[tokio::test]
async fn binary_prints_its_address_and_serves() -> Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cm-mock-model"))
        .args(["--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut line = String::new();
    tokio::time::timeout(TIMEOUT, BufReader::new(stdout).read_line(&mut line)).await??;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line {line:?}"))?
        .to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let models: Value = client
        .get(format!("{base}/models"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(models["data"][0]["id"], "mock-model");
    child.start_kill()?;
    tokio::time::timeout(TIMEOUT, child.wait()).await??;
    Ok(())
}
