//! Command-line flags. The defaults finish the whole run in well under three minutes in release
//! mode on two cores.

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Publish,
    Apply,
    Turn,
    Fanout,
    Jobs,
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "cm-bench",
    about = "Codex Manager against raw NATS, raw Postgres and a direct app-server, in one run"
)]
pub struct Args {
    /// Measured turns per side in the `turn` and `fanout` scenarios.
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
    /// Unmeasured turns (or rounds of events) before each measured side.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Events per side in the `publish` scenario.
    #[arg(long, default_value_t = 2000)]
    pub events: usize,
    /// Events per round in the `apply` scenario (five rounds per side).
    #[arg(long, default_value_t = 400)]
    pub apply_events: usize,
    /// Jobs per round in the `jobs` scenario (three rounds per side).
    #[arg(long, default_value_t = 1000)]
    pub jobs: usize,
    /// Concurrent SSE clients in the `fanout` scenario (compared with one client).
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Only these scenarios (comma-separated); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Scenario>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    pub fn wants(&self, s: Scenario) -> bool {
        self.only.is_empty() || self.only.contains(&s)
    }
}
