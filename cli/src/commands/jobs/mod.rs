//! `jobs`: durable jobs of the queue worker — enqueue (with `--wait`, follow the job to its end:
//! exit 0 when it completed, 10 when it failed, 11 when it was canceled), list, get, cancel.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use cm_schemas::job::{EnqueueJob, Job, JobPriority, JobState, NoopJob};
use serde_json::Value;

use super::{Ctx, body, json_arg};
use crate::client::Query;
use crate::exit::{Class, CliError};
use crate::ops::{self, Op};
use crate::output::{self, cell};

pub const OPS: &[(&str, &Op)] = &[
    ("jobs enqueue", &ops::ENQUEUE_JOB),
    ("jobs list", &ops::LIST_JOBS),
    ("jobs get", &ops::GET_JOB),
    ("jobs cancel", &ops::CANCEL_JOB),
];

/// How often `--wait` reads the job again.
const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager jobs enqueue --kind noop --sleep-ms 500 --wait
  codex-manager jobs enqueue --spec '{\"kind\": \"noop\"}' --dedupe-key nightly --priority interactive
  codex-manager jobs enqueue --kind noop --run-after +10m      # or an RFC 3339 time
  codex-manager jobs list --state failed --limit 20
  codex-manager jobs get <ID>
  codex-manager jobs cancel <ID>")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Enqueue a job; with --wait, follow it to its end.
    Enqueue(EnqueueArgs),
    /// List jobs, newest first.
    List {
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Only jobs of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only the jobs of this project.
        #[arg(long)]
        project: Option<String>,
        /// At most this many (1 to 200, 50 by default).
        #[arg(long)]
        limit: Option<u32>,
        /// `nextCursor` of the previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show one job: state, attempts, result or last error.
    Get { id: String },
    /// Cancel a job (a running one ends `canceled` within a second).
    Cancel { id: String },
}

#[derive(Debug, clap::Args)]
struct EnqueueArgs {
    /// The job's kind; its fields are the flags below.
    #[arg(
        long,
        value_enum,
        required_unless_present = "spec",
        conflicts_with = "spec"
    )]
    kind: Option<KindArg>,
    /// The whole spec as JSON (`{"kind": "noop", ...}`): inline, `@file` or `-` for stdin.
    #[arg(long, value_name = "JSON")]
    spec: Option<String>,
    /// noop: sleep this long before finishing.
    #[arg(long, value_name = "MS", conflicts_with = "spec")]
    sleep_ms: Option<u64>,
    /// noop: fail the first N attempts retryably.
    #[arg(long, value_name = "N", conflicts_with = "spec")]
    fail_attempts: Option<u32>,
    /// noop: fail every attempt fatally.
    #[arg(long, conflicts_with = "spec")]
    fatal: bool,
    /// Interactive jobs that are due go before any background one.
    #[arg(long, value_enum)]
    priority: Option<PriorityArg>,
    /// The project the job belongs to (its capacity counts it).
    #[arg(long)]
    project: Option<String>,
    /// The session the job belongs to.
    #[arg(long)]
    session: Option<String>,
    /// While a job with this key is queued or running, answer that job instead.
    #[arg(long)]
    dedupe_key: Option<String>,
    /// Attempts before the job fails (1 to 100; the worker's default is 3).
    #[arg(long)]
    max_attempts: Option<u32>,
    /// Not before this time: RFC 3339 (`2026-11-25T09:30:00Z`) or from now (`+30s`, `+10m`, `+2h`).
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    run_after: Option<DateTime<Utc>>,
    /// Each attempt's time-out (the worker's default is 5 minutes).
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Follow the job until it ends; exit 10 when it failed, 11 when it was canceled.
    #[arg(long)]
    wait: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Noop,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PriorityArg {
    Interactive,
    Background,
}

impl From<PriorityArg> for JobPriority {
    fn from(p: PriorityArg) -> Self {
        match p {
            PriorityArg::Interactive => JobPriority::Interactive,
            PriorityArg::Background => JobPriority::Background,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Queued,
    Running,
    Completed,
    Failed,
    Canceled,
}

impl From<StateArg> for JobState {
    fn from(s: StateArg) -> Self {
        match s {
            StateArg::Queued => JobState::Queued,
            StateArg::Running => JobState::Running,
            StateArg::Completed => JobState::Completed,
            StateArg::Failed => JobState::Failed,
            StateArg::Canceled => JobState::Canceled,
        }
    }
}

/// `--run-after`: an RFC 3339 time, or `+<n>s|m|h|d` from now.
fn parse_when(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Some(rel) = raw.strip_prefix('+') {
        let split = rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len());
        let (n, unit) = rel.split_at(split);
        let n: i64 = n
            .parse()
            .map_err(|_| format!("{raw:?}: expected +<n>s|m|h|d"))?;
        let secs = match unit {
            "" | "s" => n,
            "m" => n.saturating_mul(60),
            "h" => n.saturating_mul(3600),
            "d" => n.saturating_mul(86_400),
            _ => return Err(format!("{raw:?}: the unit is s, m, h or d")),
        };
        return chrono::TimeDelta::try_seconds(secs)
            .and_then(|d| Utc::now().checked_add_signed(d))
            .ok_or_else(|| format!("{raw:?} is too far ahead"));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{raw:?}: not an RFC 3339 time or +<n>s|m|h|d ({e})"))
}

pub const COLUMNS: &[(&str, &str)] = &[
    ("id", "/id"),
    ("kind", "/kind"),
    ("state", "/state"),
    ("priority", "/priority"),
    ("attempts", "/attempts"),
    ("project", "/projectId"),
    ("updated", "/updatedAt"),
];

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    match args.cmd {
        Cmd::Enqueue(args) => enqueue(ctx, args).await?,
        Cmd::List {
            state,
            kind,
            project,
            limit,
            cursor,
        } => {
            let query = Query::new()
                .opt("state", state.map(|s| JobState::from(s).as_str()))
                .opt("kind", kind)
                .opt("projectId", project)
                .opt("limit", limit)
                .opt("cursor", cursor);
            let v = c.call(&ops::LIST_JOBS, &[], query, None).await?;
            ctx.out.show(&v, |v| {
                output::items(output::slice(&v["jobs"]), COLUMNS, "(no jobs)");
                if let Some(next) = v["nextCursor"].as_str() {
                    println!("\nmore: --cursor {next}");
                }
            });
        }
        Cmd::Get { id } => {
            let v = c.call(&ops::GET_JOB, &[&id], Query::new(), None).await?;
            ctx.out.show(&v, show);
        }
        Cmd::Cancel { id } => {
            let v = c.call(&ops::CANCEL_JOB, &[&id], Query::new(), None).await?;
            let line = if v["cancelRequested"] == true && v["state"] == "running" {
                format!("job {id} is running: cancel requested")
            } else {
                format!("job {id} {}", cell(&v["state"]))
            };
            ctx.out.done(&v, &line);
        }
    }
    Ok(())
}

/// The spec from `--spec`, or from `--kind` and its flags.
fn spec(args: &EnqueueArgs) -> anyhow::Result<Value> {
    if let Some(raw) = &args.spec {
        let spec = json_arg(raw)?;
        if !spec.is_object() {
            return Err(CliError::usage("--spec must be a JSON object").into());
        }
        return Ok(spec);
    }
    let job = match args.kind {
        Some(KindArg::Noop) | None => Job::Noop(NoopJob {
            version: 1,
            sleep_ms: args.sleep_ms,
            fail_attempts: args.fail_attempts.unwrap_or(0),
            fatal: args.fatal,
        }),
    };
    body(&job)
}

async fn enqueue(ctx: &Ctx, args: EnqueueArgs) -> anyhow::Result<()> {
    let c = &ctx.client;
    let req = EnqueueJob {
        spec: spec(&args)?,
        priority: args.priority.map(Into::into).unwrap_or_default(),
        project_id: args.project.clone(),
        session_id: args.session.clone(),
        dedupe_key: args.dedupe_key.clone(),
        max_attempts: args.max_attempts,
        run_after: args.run_after,
        timeout_ms: args.timeout_ms,
    };
    let v = c
        .call(&ops::ENQUEUE_JOB, &[], Query::new(), Some(body(&req)?))
        .await?;
    let id = v["job"]["id"].as_str().unwrap_or_default().to_owned();
    if !args.wait {
        let line = if v["deduplicated"] == true {
            format!(
                "job {id} already {} (deduplicated)",
                cell(&v["job"]["state"])
            )
        } else {
            format!("job {id} enqueued")
        };
        ctx.out.done(&v, &line);
        return Ok(());
    }
    if !ctx.out.json {
        let note = if v["deduplicated"] == true {
            " (deduplicated)"
        } else {
            ""
        };
        eprintln!("job {id} {}{note}", cell(&v["job"]["state"]));
    }
    let job = wait(ctx, &id, v["job"].clone()).await?;
    ctx.out.show(&job, show);
    ended(&id, &job)
}

/// Reads the job every [`POLL`] until it is in a terminal state; state changes go to stderr.
async fn wait(ctx: &Ctx, id: &str, mut job: Value) -> anyhow::Result<Value> {
    let mut last = job["state"].clone();
    loop {
        let state = job["state"].as_str().and_then(JobState::parse);
        if state.is_some_and(JobState::is_terminal) {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
        job = ctx
            .client
            .call(&ops::GET_JOB, &[id], Query::new(), None)
            .await?;
        if job["state"] != last && !ctx.out.json {
            let attempt = format!(" (attempt {})", cell(&job["attempts"]));
            eprintln!("job {id} {}{attempt}", cell(&job["state"]));
        }
        last = job["state"].clone();
    }
}

/// The exit of `--wait`: 0 when the job completed, else its class.
fn ended(id: &str, job: &Value) -> anyhow::Result<()> {
    match job["state"].as_str() {
        Some("completed") => Ok(()),
        Some("canceled") => {
            Err(CliError::new(Class::JobCanceled, format!("job {id} was canceled")).into())
        }
        _ => {
            let why = match (
                job["error"]["class"].as_str(),
                job["error"]["message"].as_str(),
            ) {
                (Some(class), Some(message)) => format!(": {message} ({class})"),
                _ => String::new(),
            };
            Err(CliError::new(Class::JobFailed, format!("job {id} failed{why}")).into())
        }
    }
}

fn show(v: &Value) {
    let error = match (&v["error"]["class"], &v["error"]["message"]) {
        (Value::String(class), Value::String(message)) => format!("{message} ({class})"),
        _ => "-".to_owned(),
    };
    let cancel = if v["cancelRequested"] == true {
        " (cancel requested)"
    } else {
        ""
    };
    output::kv(&[
        ("ID", cell(&v["id"])),
        (
            "Kind",
            format!("{} v{}", cell(&v["kind"]), cell(&v["version"])),
        ),
        ("State", format!("{}{cancel}", cell(&v["state"]))),
        ("Priority", cell(&v["priority"])),
        (
            "Attempts",
            format!("{} of {}", cell(&v["attempts"]), cell(&v["maxAttempts"])),
        ),
        ("Project", cell(&v["projectId"])),
        ("Session", cell(&v["sessionId"])),
        ("Dedupe key", cell(&v["dedupeKey"])),
        ("Run after", cell(&v["runAfter"])),
        ("Time-out", format!("{} ms", cell(&v["timeoutMs"]))),
        ("Spec", cell(&v["spec"])),
        ("Result", cell(&v["result"])),
        ("Error", error),
        ("Created", cell(&v["createdAt"])),
        ("Started", cell(&v["startedAt"])),
        ("Finished", cell(&v["finishedAt"])),
    ]);
}

#[cfg(test)]
mod tests;
