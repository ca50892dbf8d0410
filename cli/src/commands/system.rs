//! `system`: health, readiness, the OpenAPI document, capabilities.

use clap::Subcommand;
use serde_json::Value;

use super::Ctx;
use crate::client::{Query, parse_body};
use crate::exit::{Class, CliError};
use crate::ops::{self, Op};
use crate::output;

pub const OPS: &[(&str, &Op)] = &[
    ("system health", &ops::GET_HEALTH),
    ("system ready", &ops::GET_READY),
    ("system openapi", &ops::GET_OPEN_API),
    ("system capabilities", &ops::GET_CAPABILITIES),
    ("system services", &ops::LIST_SERVICES),
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager system health
  codex-manager system ready            # exit 0 only when every dependency is ready
  codex-manager system capabilities --json | jq '.routes[] | select(.capability)'
  codex-manager system services         # every service instance and its endpoints' load
  codex-manager system openapi > openapi.json")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Whether the gateway process is up (needs no token).
    Health,
    /// Whether every dependency is ready: NATS, Postgres, the runtime, the queue.
    Ready,
    /// The OpenAPI document of the API, as JSON.
    Openapi,
    /// Versions, the runtime's capabilities, and which system routes it supports.
    Capabilities,
    /// Every running service instance (NATS service discovery) with its endpoints' statistics.
    Services,
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    match args.cmd {
        Cmd::Health => {
            let v = ctx
                .client
                .call(&ops::GET_HEALTH, &[], Query::new(), None)
                .await?;
            ctx.out.show(&v, |v| {
                println!(
                    "{} {} {}",
                    output::cell(&v["status"]),
                    output::cell(&v["service"]),
                    output::cell(&v["version"])
                );
            });
        }
        Cmd::Ready => ready(ctx).await?,
        Cmd::Openapi => {
            let v = ctx
                .client
                .call(&ops::GET_OPEN_API, &[], Query::new(), None)
                .await?;
            output::print_json(&v);
        }
        Cmd::Capabilities => {
            let v = ctx
                .client
                .call(&ops::GET_CAPABILITIES, &[], Query::new(), None)
                .await?;
            ctx.out.show(&v, capabilities);
        }
        Cmd::Services => {
            let v = ctx
                .client
                .call(&ops::LIST_SERVICES, &[], Query::new(), None)
                .await?;
            ctx.out.show(&v, services);
        }
    }
    Ok(())
}

/// One row per instance: its busiest endpoint says where the load is.
fn services(v: &Value) {
    let rows = v["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let endpoints = s["endpoints"].as_array().cloned().unwrap_or_default();
            let requests: u64 = endpoints
                .iter()
                .filter_map(|e| e["requests"].as_u64())
                .sum();
            let errors: u64 = endpoints.iter().filter_map(|e| e["errors"].as_u64()).sum();
            let busiest = endpoints
                .iter()
                .max_by_key(|e| e["requests"].as_u64().unwrap_or(0))
                .map(|e| {
                    format!(
                        "{} ({:.1} ms avg)",
                        output::cell(&e["subject"]),
                        e["averageProcessingTimeMs"].as_f64().unwrap_or(0.0)
                    )
                })
                .unwrap_or_else(|| "-".to_owned());
            vec![
                output::cell(&s["name"]),
                output::cell(&s["id"]),
                output::cell(&s["version"]),
                output::cell(&s["started"]),
                endpoints.len().to_string(),
                requests.to_string(),
                errors.to_string(),
                busiest,
            ]
        })
        .collect();
    output::table(
        &[
            "service",
            "id",
            "version",
            "started",
            "endpoints",
            "requests",
            "errors",
            "busiest",
        ],
        rows,
        "(no service answered)",
    );
}

/// A 503 here is an answer, not a failure: the checks are printed either way, then a stack
/// that is not ready exits with the server class.
async fn ready(ctx: &Ctx) -> anyhow::Result<()> {
    let path = ops::GET_READY.path_with(&[]);
    let (status, text) = ctx
        .client
        .raw(ops::GET_READY.method, &path, &Query::new(), None)
        .await?;
    let body = parse_body(text.clone());
    if status != 200 && body.get("checks").is_none() {
        return Err(CliError::from_response(status, &text).into());
    }
    ctx.out.show(&body, checks);
    if status == 200 {
        Ok(())
    } else {
        Err(CliError::new(
            Class::Server,
            format!("the stack is not ready (HTTP {status})"),
        )
        .into())
    }
}

fn checks(v: &Value) {
    let rows = v["checks"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, check)| {
            vec![
                name.clone(),
                if check["ready"].as_bool() == Some(true) {
                    "ready".to_owned()
                } else {
                    "NOT READY".to_owned()
                },
                output::cell(&check["error"]),
            ]
        })
        .collect();
    output::table(&["check", "state", "error"], rows, "(no checks)");
}

fn capabilities(v: &Value) {
    output::kv(&[
        ("API", output::cell(&v["apiVersion"])),
        ("Contract", output::cell(&v["contractVersion"])),
        ("Gateway", output::cell(&v["gatewayVersion"])),
        ("Runtime", output::cell(&v["runtime"]["userAgent"])),
    ]);
    if let Some(e) = v.get("runtimeError") {
        println!("Runtime error: {}", output::cell(e));
    }
    println!();
    output::items(
        output::slice(&v["routes"]),
        &[
            ("method", "/method"),
            ("path", "/path"),
            ("runtime method", "/runtimeMethod"),
            ("supported", "/capability"),
        ],
        "(no routes)",
    );
}
