//! The command tree: global flags and one subcommand per group.

use clap::{Parser, Subcommand};

use crate::commands::{
    account, api, apps, bus, completions, config, controls, db, jobs, mcp, models, profile,
    projects, requests, runtime, sessions, settings, skills, stream, system,
};
use crate::up;

/// Codex Manager: a local control plane for Codex sessions.
#[derive(Debug, Parser)]
#[command(name = "codex-manager", version, propagate_version = true)]
#[command(after_help = "\
Examples:
  codex-manager up --demo                 # the whole stack, offline; writes the `local` profile
  S=$(codex-manager sessions create --json | jq -r .id)
  codex-manager sessions send $S 'hello' --wait
  codex-manager stream --session $S --after 0
  codex-manager up down

Exit codes: 0 ok, 1 failure, 2 usage, 3 auth, 4 not found, 5 conflict, 6 server,
7 unreachable, 8 turn failed, 9 turn interrupted, 10 job failed, 11 job canceled
(see docs/cli.md).")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Use this profile instead of the current one.
    #[arg(long, global = true, env = "CM_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// The API's base URL (overrides the profile's).
    #[arg(long, global = true, env = "CM_URL", value_name = "URL")]
    pub url: Option<String>,
    /// The API token (overrides the profile's).
    #[arg(
        long,
        global = true,
        env = "CM_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Trust the CA certificates of this PEM file too (an `https` server with a private CA).
    #[arg(long, global = true, env = "CM_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Print JSON (errors too, on stderr) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// The Idempotency-Key of this invocation's POST [default: a new one each time].
    #[arg(long, global = true, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// Seconds to wait for an answer before giving up (unreachable).
    #[arg(long, global = true, default_value_t = 120, value_name = "SECONDS")]
    pub timeout: u64,
    /// Times to repeat a request the API answered "not now" (503, 429, still in progress) or
    /// that could not connect; a POST keeps its Idempotency-Key, so it never runs twice.
    #[arg(
        long,
        global = true,
        env = "CM_RETRIES",
        default_value_t = 3,
        value_name = "N"
    )]
    pub retries: usize,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole stack on this machine (or `up status|logs|down`).
    Up(up::UpArgs),
    /// Health, readiness, capabilities, the OpenAPI document.
    System(system::Args),
    /// Projects: groups of sessions with a working directory.
    Projects(projects::Args),
    /// Sessions: create, send (and wait), interrupt, archive, delete...
    Sessions(sessions::Args),
    /// Follow events as JSON lines.
    Stream(stream::Args),
    /// Approvals a turn waits on.
    Approvals(requests::ApprovalsArgs),
    /// Questions a turn waits on.
    ToolInput(requests::ToolInputArgs),
    /// Dynamic tool calls a turn waits on.
    ToolCalls(requests::ToolCallsArgs),
    /// Durable jobs: enqueue (and wait), list, get, cancel.
    Jobs(jobs::Args),
    /// Per-turn controls: defaults, locks, per session.
    Controls(controls::Args),
    /// Free-form settings, global or per session.
    Settings(settings::Args),
    /// The runtime's models.
    Models(models::Args),
    /// The runtime's account.
    Account(account::Args),
    /// The runtime's configuration.
    Config(config::Args),
    /// The runtime's MCP servers.
    Mcp(mcp::Args),
    /// The runtime's skills.
    Skills(skills::Args),
    /// The runtime's apps.
    Apps(apps::Args),
    /// Experimental features, one-off commands, feedback.
    Runtime(runtime::Args),
    /// Any API request.
    Api(api::Args),
    /// Where the API is and which token it takes.
    Profile(profile::Args),
    /// Shell completion scripts.
    Completions(completions::Args),
    /// The NATS users' keys for compose or Kubernetes (`up` makes its own).
    Bus(bus::Args),
    /// Each service's own Postgres role, for compose or Kubernetes (`up` makes its own).
    Db(db::Args),
}
