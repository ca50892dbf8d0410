//! Runs the selected scenarios in a fixed order and collects their rows.
//!
//! `publish` runs first, on its own nats-server, before the stack exists, so nothing else uses
//! the CPU. The other scenarios share one [`TestStack`] (private nats-server and Postgres, the
//! scripted model, the real app-server, the four services in this process); each finishes its
//! work (every event applied, every turn completed) before the next starts.

use std::time::Instant;

use cm_e2e::TestStack;

use crate::cli::{Args, Scenario};
use crate::report::{Machine, Report, load_avg};
use crate::{apply, fanout, jobs, publish, script, turn};

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let started = Instant::now();
    let load_start = load_avg();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if args.wants(Scenario::Publish) {
        progress(started, "publish");
        rows.extend(publish::run(args.events, args.warmup).await?);
    }
    let stacked = [
        Scenario::Apply,
        Scenario::Turn,
        Scenario::Fanout,
        Scenario::Jobs,
    ];
    if stacked.iter().any(|s| args.wants(*s)) {
        progress(started, "starting the stack");
        let stack = TestStack::start(script::script()?).await?;
        if args.wants(Scenario::Apply) {
            progress(started, "apply");
            let (r, n) = apply::run(&stack, args.apply_events, args.warmup).await?;
            rows.extend(r);
            notes.extend(n);
        }
        if args.wants(Scenario::Turn) {
            progress(started, "turn");
            rows.extend(turn::run(&stack, args.iterations, args.warmup).await?);
        }
        if args.wants(Scenario::Fanout) {
            progress(started, "fanout");
            rows.extend(fanout::run(&stack, args.clients, args.iterations, args.warmup).await?);
        }
        if args.wants(Scenario::Jobs) {
            progress(started, "jobs");
            rows.extend(jobs::run(&stack, args.jobs, args.warmup).await?);
        }
    }
    progress(started, "done");
    Ok(Report {
        machine: Machine::detect(load_start),
        rows,
        notes,
    })
}

fn progress(started: Instant, what: &str) {
    eprintln!("[{:6.1} s] {what}", started.elapsed().as_secs_f64());
}
