//! `up status` and `up down`: look at, and stop, the `up` running on a data directory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

use super::state::{self, UpState};
use crate::exit::{Class, CliError};
use crate::output::{self, Output};

/// The data directory flag of `status`, `logs` and `down`.
#[derive(Debug, Clone, clap::Args)]
pub struct DataDir {
    /// The data directory of the `up` [default: $XDG_DATA_HOME/codex-manager or
    /// ~/.local/share/codex-manager; as root, /var/lib/codex-manager].
    #[arg(long, env = "CM_DATA_DIR", hide_env_values = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataDir {
    pub fn resolve(&self) -> anyhow::Result<PathBuf> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => crate::paths::default_data_dir(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// Seconds to wait for everything to stop.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

/// Exit 0 when running and ready, 6 (server) when running but not ready, 7 (unreachable) when
/// nothing runs.
pub async fn status(dir: DataDir, out: Output) -> anyhow::Result<()> {
    let data = dir.resolve()?;
    let Some(pid) = state::running(&data)? else {
        let v = json!({ "running": false, "dataDir": data });
        out.done(
            &v,
            &format!("no `codex-manager up` is running on {}", data.display()),
        );
        return Err(CliError::quiet(Class::Unreachable).into());
    };
    let up = UpState::read(&data);
    let base_url = up.as_ref().map(|s| s.base_url.clone());
    let ready = match &base_url {
        Some(url) => ready(url, &data.join("token")).await,
        None => json!(null),
    };
    let is_ready = ready["ready"] == true;
    let v = json!({
        "running": true, "pid": pid, "dataDir": data, "baseUrl": base_url,
        "demo": up.as_ref().map(|s| s.demo), "startedAt": up.as_ref().map(|s| s.started_at),
        "ready": ready, "logs": data.join("logs"),
    });
    out.show(&v, |v| {
        output::kv(&[
            ("Running", format!("yes (pid {pid})")),
            ("URL", output::cell(&v["baseUrl"])),
            ("Demo", output::cell(&v["demo"])),
            (
                "Ready",
                if is_ready {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
            ),
            ("Data", data.display().to_string()),
            ("Logs", data.join("logs").display().to_string()),
        ]);
        if let Some(checks) = v["ready"]["checks"].as_object() {
            println!();
            let rows = checks
                .iter()
                .map(|(name, c)| {
                    vec![
                        name.clone(),
                        if c["ready"] == true {
                            "ready".into()
                        } else {
                            "NOT READY".into()
                        },
                        output::cell(&c["error"]),
                    ]
                })
                .collect();
            output::table(&["check", "state", "error"], rows, "");
        }
    });
    if is_ready {
        Ok(())
    } else {
        Err(CliError::quiet(Class::Server).into())
    }
}

/// `GET /api/ready` with the data directory's token; the body, or `{error}`.
async fn ready(base_url: &str, token_file: &std::path::Path) -> Value {
    let token = std::fs::read_to_string(token_file).unwrap_or_default();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => return json!({ "ready": false, "error": e.to_string() }),
    };
    let answer = client
        .get(format!("{base_url}/api/ready"))
        .bearer_auth(token.trim())
        .send()
        .await;
    match answer {
        Ok(response) => response
            .json()
            .await
            .unwrap_or_else(|e| json!({ "ready": false, "error": e.to_string() })),
        Err(e) => json!({ "ready": false, "error": e.to_string() }),
    }
}

/// Sends SIGTERM to the `up` and waits until it let go of its lock (everything stopped).
pub async fn down(args: DownArgs, out: Output) -> anyhow::Result<()> {
    let data = args.dir.resolve()?;
    let Some(pid) = state::running(&data)? else {
        let v = json!({ "stopped": false, "running": false, "dataDir": data });
        out.done(
            &v,
            &format!("no `codex-manager up` is running on {}", data.display()),
        );
        return Ok(());
    };
    let started = Instant::now();
    let target = i32::try_from(pid)
        .ok()
        .filter(|p| *p > 0)
        .context("the lock file names no pid")?;
    kill(Pid::from_raw(target), Signal::SIGTERM)
        .with_context(|| format!("signalling pid {pid}"))?;
    if !out.json {
        eprintln!("stopping `codex-manager up` (pid {pid})...");
    }
    let deadline = started + Duration::from_secs(args.wait);
    while state::running(&data)?.is_some() {
        if Instant::now() >= deadline {
            return Err(CliError::new(
                Class::Failure,
                format!(
                    "`codex-manager up` (pid {pid}) still runs after {} s",
                    args.wait
                ),
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let v = json!({ "stopped": true, "pid": pid, "seconds": started.elapsed().as_secs_f64() });
    out.done(
        &v,
        &format!("stopped in {:.1} s", started.elapsed().as_secs_f64()),
    );
    Ok(())
}
