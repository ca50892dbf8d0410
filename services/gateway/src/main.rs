//! `cm-gateway`: parses flags, then runs [`cm_gateway::run`] in the service kit
//! ([`cm_bus::Kit`]).

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Codex Manager HTTP gateway")]
struct Args {
    #[command(flatten)]
    common: cm_bus::ServiceArgs,
    #[command(flatten)]
    gateway: cm_gateway::GatewayArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kit = cm_bus::Kit::start("cm-gateway", env!("CARGO_PKG_VERSION"), &args.common)?;
    let addr = args.gateway.addr;
    let cfg = args.gateway.config()?;
    kit.run(|bus, shutdown| async move {
        let listener = cm_gateway::bind(addr).await?;
        cm_gateway::run(cfg, bus, listener, shutdown).await
    })
    .await
}
