//! The running stack: start the services, wait for readiness (while already supervising them),
//! announce, then supervise until a signal or a fatal failure. The services are stopped on every
//! way out; NATS and Postgres are the caller's.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use cm_bus::auth::Principal;
use tokio_util::sync::CancellationToken;

use super::UpArgs;
use super::banner::Banner;
use super::console::Console;
use super::demo::{self, Demo};
use super::infra::Infra;
use super::layout::Layout;
use super::locate::{ServiceBins, WebUi};
use super::ready;
use super::services::{ServiceSpec, Services};
use crate::profile::{self, Profile, Profiles};

const TICK: Duration = Duration::from_millis(250);
/// Lines of each log shown when the stack does not become ready.
const TAIL_LINES: usize = 15;

/// What the supervisor needs to know.
pub struct Context<'a> {
    pub args: &'a UpArgs,
    pub layout: &'a Layout,
    pub console: &'a Console,
    pub bins: &'a ServiceBins,
    pub codex: &'a Path,
    pub started: Instant,
    pub ready_timeout: Duration,
    /// The web UI the gateway serves (see [`WebUi::locate`]).
    pub web: WebUi,
}

/// Runs the services until `stop` is cancelled (`Ok`) or something fails for good (`Err`).
pub async fn run(
    ctx: &Context<'_>,
    infra: &mut Infra,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let mut services = Services::new(ctx.console, ctx.layout);
    let result = supervise(ctx, infra, stop, &mut services).await;
    ctx.console.info("stopping the services");
    services.stop().await;
    result
}

async fn supervise(
    ctx: &Context<'_>,
    infra: &mut Infra,
    stop: &CancellationToken,
    services: &mut Services,
) -> anyhow::Result<()> {
    let demo = if ctx.args.demo {
        Some(demo::prepare(ctx.layout, ctx.bins, ctx.console)?)
    } else {
        None
    };
    if let Some(demo) = &demo {
        services.start(demo.model_server.clone())?;
    }
    for spec in specs(ctx, infra, demo.as_ref()) {
        services.start(spec)?;
    }
    let base_url = format!("http://127.0.0.1:{}", ctx.args.port);
    let ready = tokio::spawn(ready::wait(
        base_url.clone(),
        ctx.layout.token_file.clone(),
        ctx.ready_timeout,
    ));
    let mut ready = tokio_util::task::AbortOnDropHandle::new(ready);
    let mut waiting = true;
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            joined = &mut ready, if waiting => {
                waiting = false;
                match joined.map_err(|e| anyhow!("the readiness check failed: {e}"))? {
                    Ok(token) => announce(ctx, infra, demo.as_ref(), base_url.clone(), token),
                    Err(e) => {
                        print_log_tails(ctx.console, &services.logs());
                        return Err(e);
                    }
                }
            }
            _ = tick.tick() => {
                infra.check(ctx.console).await?;
                services.check()?;
            }
        }
    }
}

/// The four services with their environment (on top of `up`'s own, which they inherit).
fn specs(ctx: &Context<'_>, infra: &Infra, demo: Option<&Demo>) -> Vec<ServiceSpec> {
    let nats = ("NATS_URL".to_owned(), OsString::from(infra.nats.url()));
    let database = |service| {
        vec![(
            "DATABASE_URL",
            OsString::from(infra.database_url_of(service)),
        )]
    };
    // Each service logs in to NATS with its own key, which confines it to its subjects.
    let key = |principal: Principal| {
        let file = infra.credentials.seed_file(principal);
        ("CM_NATS_NKEY_FILE".to_owned(), file.into_os_string())
    };
    let spec = |name: &'static str, bin: &str, env: Vec<(&str, OsString)>| ServiceSpec {
        name,
        bin: ctx.bins.path(bin),
        args: Vec::new(),
        env: [nats.clone(), key(principal_of(name))]
            .into_iter()
            .chain(env.into_iter().map(|(k, v)| (k.to_owned(), v)))
            .collect(),
    };
    let mut gateway_env = vec![
        (
            "CM_HTTP_ADDR",
            OsString::from(format!("127.0.0.1:{}", ctx.args.port)),
        ),
        ("CM_DATA_DIR", ctx.layout.data.clone().into_os_string()),
        (
            "CM_TOKEN_FILE",
            ctx.layout.token_file.clone().into_os_string(),
        ),
    ];
    if let Some(web) = ctx.web.dir() {
        gateway_env.push(("CM_WEB_DIR", web.as_os_str().to_owned()));
    }
    let mut bridge_env = vec![("CODEX_BIN", ctx.codex.as_os_str().to_owned())];
    if let Some(demo) = demo {
        bridge_env.extend(demo.bridge_env.iter().map(|(k, v)| (k.as_str(), v.clone())));
    }
    vec![
        spec("session", "cm-session", database("cm-session")),
        spec(
            "queue-worker",
            "cm-queue-worker",
            database("cm-queue-worker"),
        ),
        spec("runtime-bridge", "cm-runtime-bridge", bridge_env),
        spec("gateway", "cm-gateway", gateway_env),
    ]
}

fn principal_of(service: &str) -> Principal {
    Principal::from_name(service).unwrap_or(Principal::Automation)
}

/// Prints the banner and writes the `local` CLI profile.
fn announce(
    ctx: &Context<'_>,
    infra: &Infra,
    demo: Option<&Demo>,
    base_url: String,
    token: String,
) {
    let profiles = match write_profile(&base_url, &token) {
        Ok(path) => Some(path),
        Err(e) => {
            ctx.console
                .alert(&format!("could not write the CLI profile: {e:#}"));
            None
        }
    };
    Banner {
        elapsed: ctx.started.elapsed(),
        base_url,
        token,
        token_file: ctx.layout.token_file.clone(),
        nats_url: infra.nats.url(),
        database_url: infra.database_url.clone(),
        cluster_dir: infra
            .pg
            .as_ref()
            .filter(|(_, location)| location.elsewhere)
            .map(|(_, location)| location.root.clone()),
        demo_model: demo.map(|d| d.base_url.clone()),
        logs: ctx.layout.logs.clone(),
        profiles,
        web: ctx.web.clone(),
    }
    .print(ctx.console);
}

fn write_profile(base_url: &str, token: &str) -> anyhow::Result<PathBuf> {
    let path = Profiles::default_path()?;
    let mut profiles = Profiles::load(&path)?;
    profiles.set_current(
        profile::LOCAL,
        Profile {
            base_url: base_url.to_owned(),
            token: token.to_owned(),
            ca_cert: None,
        },
    );
    profiles.save(&path)?;
    Ok(path)
}

fn print_log_tails(console: &Console, logs: &[(&'static str, PathBuf)]) {
    for (name, path) in logs {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        console.block(&format!("--- last lines of {name} ({}):", path.display()));
        console.block(&tail.join("\n"));
    }
}
