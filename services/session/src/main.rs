//! `cm-session`: parses flags, then runs [`cm_session::run`] in the service kit ([`cm_bus::Kit`]).

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager session service")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    #[command(flatten)]
    db: cm_pg::DbArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kit = cm_bus::Kit::start("cm-session", env!("CARGO_PKG_VERSION"), &args.common)?;
    let cfg = cm_session::Config::new(args.db.url("cm-session")?);
    kit.run(|bus, shutdown| cm_session::run(cfg, bus, shutdown))
        .await
}
