//! `stream`: follow events as JSON lines — every event, a selection, or one session's —
//! reconnecting with `Last-Event-ID` and back-off until interrupted (or `--limit` events).
//!
//! Each line is the event as the API streams it (`StreamedEvent`: `seq`, `kind`, `scope`,
//! `scopeId`, `data`...). When events were lost for good the line is
//! `{"kind":"gap","seq":<to>,"data":{"from","to","action":"refetch_snapshot"}}`.

use std::io::Write;

use serde_json::json;

use super::Ctx;
use crate::client::Query;
use crate::client::sse::{Follow, Frame};
use crate::ops::{self, Op};

pub const OPS: &[(&str, &Op)] = &[
    ("stream", &ops::STREAM_EVENTS),
    ("stream", &ops::STREAM_SESSION_EVENTS),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager stream                                  # everything from now on
  codex-manager stream --session <SESSION> --after 0    # one session from its beginning
  codex-manager stream --kind 'item.*' --kind turn.completed
  codex-manager stream --scope project | jq -c 'select(.kind == \"project.updated\")'
  codex-manager stream --session <SESSION> --limit 1 --kind turn.completed")]
pub struct Args {
    /// Only this session's events (404 when it does not exist, 410 when deleted).
    #[arg(long, conflicts_with_all = ["scope", "scope_id"])]
    session: Option<String>,
    /// Only events of this scope: session, project, job, runtime or extension.
    #[arg(long)]
    scope: Option<String>,
    /// Only this instance of the scope.
    #[arg(long, requires = "scope")]
    scope_id: Option<String>,
    /// Only these kinds (`item.delta`, a prefix `item.*`; repeatable).
    #[arg(long)]
    kind: Vec<String>,
    /// Start after this sequence (0 replays everything kept); default: from now on (a
    /// session: from its beginning).
    #[arg(long, value_name = "SEQ")]
    after: Option<u64>,
    /// Exit after this many events.
    #[arg(long)]
    limit: Option<u64>,
    /// Give up after this many failed reconnections in a row [default: never].
    #[arg(long)]
    max_retries: Option<u32>,
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let kinds = (!args.kind.is_empty()).then(|| args.kind.join(","));
    let (path, query) = match &args.session {
        Some(id) => (
            ops::STREAM_SESSION_EVENTS.path_with(&[id]),
            Query::new().opt("kind", kinds),
        ),
        None => (
            ops::STREAM_EVENTS.path_with(&[]),
            Query::new()
                .opt("scope", args.scope)
                .opt("scopeId", args.scope_id)
                .opt("kind", kinds),
        ),
    };
    let mut follow = Follow::new(&ctx.client, path, query, args.after);
    follow.max_retries = args.max_retries;
    follow.connect().await?;
    let mut seen = 0;
    let mut stdout = std::io::stdout();
    while args.limit.is_none_or(|limit| seen < limit) {
        let line = match follow.next().await? {
            Frame::Event { data, .. } => data,
            Frame::Gap { to, data } => json!({ "kind": "gap", "seq": to, "data": data }),
        };
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        seen += 1;
    }
    Ok(())
}
