//! `cm-session`: parses flags, starts telemetry, runs [`cm_session::run`].

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager session service")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _telemetry = cm_telemetry::init(
        "cm-session",
        env!("CARGO_PKG_VERSION"),
        &args.common.telemetry(),
    )?;
    let bus = args.common.connect("cm-session").await?;
    cm_session::run(
        cm_session::Config::new(args.database_url),
        bus,
        cm_bus::cancel_on_signal(),
    )
    .await
}
