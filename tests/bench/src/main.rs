//! `cm-bench`: Codex Manager's overhead, measured against a baseline in the same run.
//!
//! ```text
//! cargo run --release -p cm-bench -- [--iterations N] [--only publish,apply,turn,fanout,jobs] [--json]
//! ```
//!
//! Every scenario measures the same work twice — once the plain way (raw JetStream publish, raw
//! Postgres transactions, the app-server driven directly over stdio, one SSE client) and once
//! through the system — and prints both and the ratio system/baseline. Absolute numbers depend
//! on the machine; the ratios are what to compare between runs. Scenarios, one module each:
//!
//! - `publish` ([`publish`]): `Bus::publish_event` vs `jetstream.publish(..).await?.await`.
//! - `apply` ([`apply`]): published events until the session snapshot reflects them vs one
//!   single-row Postgres transaction per event.
//! - `turn` ([`turn`]): HTTP POST + SSE until `turn.completed` vs `turn/start` over stdio.
//! - `fanout` ([`fanout`]): event delivery latency with K SSE clients on one session vs one.
//! - `jobs` ([`jobs`]): no-op jobs enqueued→completed through the queue worker vs a raw
//!   JetStream work queue (publish, fetch, ack).
//!
//! It needs what the end-to-end tests need (nats-server, Postgres binaries, the codex binary; see
//! `scripts/install-deps.sh`). Results and how to read them: `docs/benchmarks.md`.

mod apply;
mod appserver;
mod cli;
mod consume;
mod events;
mod fanout;
mod jobs;
mod publish;
mod report;
mod run;
mod script;
mod settle;
mod stats;
mod turn;

use clap::Parser;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = cli::Args::parse();
    let report = run::run(&args).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
