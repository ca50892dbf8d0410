//! `controls`: the per-turn knobs (model, effort, approval policy, sandbox, network access) —
//! the global defaults with their locks, and each session's own values.

use clap::Subcommand;
use serde_json::{Value, json};

use super::{Ctx, merge};
use crate::client::Query;
use crate::ops::{self, Op};
use crate::output::{self, cell};

pub const OPS: &[(&str, &Op)] = &[
    ("controls defaults", &ops::GET_CONTROL_DEFAULTS),
    ("controls set-defaults", &ops::PUT_CONTROL_DEFAULTS),
    ("controls get", &ops::GET_SESSION_CONTROLS),
    ("controls set", &ops::PUT_SESSION_CONTROLS),
    ("controls patch", &ops::PATCH_SESSION_CONTROLS),
];

const KEYS: [&str; 5] = [
    "model",
    "effort",
    "approvalPolicy",
    "sandbox",
    "networkAccess",
];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager controls defaults
  codex-manager controls set-defaults --model gpt-5 --sandbox workspace-write --lock sandbox
  codex-manager controls get <SESSION>
  codex-manager controls patch <SESSION> --effort high --unset model
  codex-manager controls set <SESSION> --approval-policy never     # replaces all of them")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

/// The five knobs as flags: `controls` sets them, `sessions send` overrides them for one turn.
#[derive(Debug, Clone, clap::Args)]
pub struct ControlFlags {
    /// Model.
    #[arg(long)]
    pub model: Option<String>,
    /// Reasoning effort: minimal, low, medium, high or xhigh.
    #[arg(long)]
    pub effort: Option<String>,
    /// Approval policy: untrusted, on-request, on-failure or never.
    #[arg(long)]
    pub approval_policy: Option<String>,
    /// Sandbox: read-only, workspace-write or danger-full-access.
    #[arg(long)]
    pub sandbox: Option<String>,
    /// Network access inside the sandbox.
    #[arg(long, value_name = "BOOL")]
    pub network_access: Option<bool>,
}

/// The knobs as flags, over an optional JSON body.
#[derive(Debug, Clone, clap::Args)]
struct Knobs {
    #[command(flatten)]
    flags: ControlFlags,
    /// The body as JSON; the flags above are merged over it.
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
}

impl Knobs {
    fn body(&self) -> anyhow::Result<Value> {
        let f = &self.flags;
        merge(
            self.data.as_deref(),
            json!({
                "model": f.model, "effort": f.effort, "approvalPolicy": f.approval_policy,
                "sandbox": f.sandbox, "networkAccess": f.network_access,
            }),
        )
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Show the global defaults and which keys are locked.
    Defaults,
    /// Replace the global defaults (keys left out are unset).
    SetDefaults {
        #[command(flatten)]
        knobs: Knobs,
        /// Lock a key so sessions and messages cannot change it (repeatable).
        #[arg(long, value_name = "KEY")]
        lock: Vec<String>,
    },
    /// Show a session's own and effective controls.
    Get { session: String },
    /// Replace a session's controls (keys left out are unset).
    Set {
        session: String,
        #[command(flatten)]
        knobs: Knobs,
    },
    /// Change some of a session's controls.
    Patch {
        session: String,
        #[command(flatten)]
        knobs: Knobs,
        /// Unset a key (repeatable).
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
    },
}

pub async fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let c = &ctx.client;
    let v = match args.cmd {
        Cmd::Defaults => {
            c.call(&ops::GET_CONTROL_DEFAULTS, &[], Query::new(), None)
                .await?
        }
        Cmd::SetDefaults { knobs, lock } => {
            let mut body = knobs.body()?;
            if !lock.is_empty() {
                body["locked"] = json!(lock);
            }
            c.call(&ops::PUT_CONTROL_DEFAULTS, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::Get { session } => {
            c.call(&ops::GET_SESSION_CONTROLS, &[&session], Query::new(), None)
                .await?
        }
        Cmd::Set { session, knobs } => {
            let body = knobs.body()?;
            c.call(
                &ops::PUT_SESSION_CONTROLS,
                &[&session],
                Query::new(),
                Some(body),
            )
            .await?
        }
        Cmd::Patch {
            session,
            knobs,
            unset,
        } => {
            let mut body = knobs.body()?;
            for key in unset {
                body[key] = Value::Null;
            }
            c.call(
                &ops::PATCH_SESSION_CONTROLS,
                &[&session],
                Query::new(),
                Some(body),
            )
            .await?
        }
    };
    ctx.out.show(&v, show);
    Ok(())
}

/// Defaults (`{model, ..., locked}`) or a session's (`{controls, effective, ...}`): one row a
/// key.
fn show(v: &Value) {
    if v.get("locked").is_some() && v.get("effective").is_none() {
        let locked = output::slice(&v["locked"]);
        let rows = KEYS
            .iter()
            .map(|k| {
                let lock = if locked.iter().any(|l| l == k) {
                    "locked"
                } else {
                    ""
                };
                vec![(*k).to_owned(), cell(&v[k]), lock.to_owned()]
            })
            .collect();
        output::table(&["key", "default", ""], rows, "");
        return;
    }
    let rows = KEYS
        .iter()
        .map(|k| {
            vec![
                (*k).to_owned(),
                cell(&v["controls"][k]),
                cell(&v["effective"][k]),
            ]
        })
        .collect();
    output::table(&["key", "session", "effective"], rows, "");
    let locked = output::slice(&v["locked"]);
    if !locked.is_empty() {
        let locked: Vec<String> = locked.iter().map(cell).collect();
        println!("\nlocked by the defaults: {}", locked.join(", "));
    }
}
