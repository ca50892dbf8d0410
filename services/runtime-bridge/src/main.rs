//! `cm-runtime-bridge`: parses flags, then runs [`cm_runtime_bridge::run`] in the service kit
//! ([`cm_bus::Kit`]).

use clap::Parser;

#[derive(Parser)]
#[command(
    version,
    about = "Codex Manager runtime bridge (supervises codex app-server)"
)]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    #[command(flatten)]
    bridge: cm_runtime_bridge::BridgeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kit = cm_bus::Kit::start("cm-runtime-bridge", env!("CARGO_PKG_VERSION"), &args.common)?;
    let cfg = args.bridge.config()?;
    kit.run(|bus, shutdown| cm_runtime_bridge::run(cfg, bus, shutdown))
        .await
}
