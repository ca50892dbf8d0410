//! `controls`: the per-turn knobs (model, effort, approval policy, sandbox, network access) —
//! the global defaults with their locks, and each session's own values.

use clap::Subcommand;
use cm_schemas::controls::{ControlDefaults, Controls, ControlsPatch};
use serde::Serialize;
use serde_json::Value;

use super::{Ctx, body, data_as};
use crate::client::Query;
use crate::exit::CliError;
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

impl ControlFlags {
    /// `base` with the knobs these flags set replaced.
    fn over(self, base: Controls) -> Controls {
        Controls {
            model: self.model.or(base.model),
            effort: self.effort.map(Into::into).or(base.effort),
            approval_policy: self
                .approval_policy
                .map(Into::into)
                .or(base.approval_policy),
            sandbox: self.sandbox.map(Into::into).or(base.sandbox),
            network_access: self.network_access.or(base.network_access),
        }
    }

    /// `base` with the knobs these flags set replaced: set, whatever `base` says of them.
    fn over_patch(self, base: ControlsPatch) -> ControlsPatch {
        ControlsPatch {
            model: self.model.map(Some).or(base.model),
            effort: self.effort.map(|v| Some(v.into())).or(base.effort),
            approval_policy: self
                .approval_policy
                .map(|v| Some(v.into()))
                .or(base.approval_policy),
            sandbox: self.sandbox.map(|v| Some(v.into())).or(base.sandbox),
            network_access: self.network_access.map(Some).or(base.network_access),
        }
    }
}

impl Knobs {
    /// The session controls `--data` and the flags set.
    fn controls(self) -> anyhow::Result<Controls> {
        Ok(self.flags.over(data_as(self.data.as_deref())?))
    }

    /// The defaults `--data` and the flags set; `lock`, when given, replaces its `locked`.
    fn defaults(self, lock: Vec<String>) -> anyhow::Result<ControlDefaults> {
        let data: ControlDefaults = data_as(self.data.as_deref())?;
        let controls = self.flags.over(data.controls());
        let locked = if lock.is_empty() { data.locked } else { lock };
        Ok(ControlDefaults::from_parts(controls, locked))
    }

    /// The changes `--data` and the flags make, and `unset` keys unset.
    fn patch(self, unset: &[String]) -> anyhow::Result<ControlsPatch> {
        let mut patch = self.flags.over_patch(data_as(self.data.as_deref())?);
        for key in unset {
            match key.as_str() {
                "model" => patch.model = Some(None),
                "effort" => patch.effort = Some(None),
                "approvalPolicy" => patch.approval_policy = Some(None),
                "sandbox" => patch.sandbox = Some(None),
                "networkAccess" => patch.network_access = Some(None),
                _ => {
                    let keys = KEYS.join(", ");
                    let why = format!("--unset {key}: not a control (one of {keys})");
                    return Err(CliError::usage(why).into());
                }
            }
        }
        Ok(patch)
    }
}

/// A replacement body with only the keys it sets: on a `PUT` a left-out knob and a `null` one
/// both mean unset, and the CLI has always left them out.
fn set_only(replacement: &impl Serialize) -> anyhow::Result<Value> {
    let mut v = body(replacement)?;
    if let Some(members) = v.as_object_mut() {
        members.retain(|_, m| !m.is_null());
    }
    Ok(v)
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
            let body = set_only(&knobs.defaults(lock)?)?;
            c.call(&ops::PUT_CONTROL_DEFAULTS, &[], Query::new(), Some(body))
                .await?
        }
        Cmd::Get { session } => {
            c.call(&ops::GET_SESSION_CONTROLS, &[&session], Query::new(), None)
                .await?
        }
        Cmd::Set { session, knobs } => {
            let body = set_only(&knobs.controls()?)?;
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
            let body = body(&knobs.patch(&unset)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn knobs(model: Option<&str>, effort: Option<&str>, data: Option<&str>) -> Knobs {
        Knobs {
            flags: ControlFlags {
                model: model.map(str::to_owned),
                effort: effort.map(str::to_owned),
                approval_policy: None,
                sandbox: None,
                network_access: None,
            },
            data: data.map(str::to_owned),
        }
    }

    #[test]
    fn bodies_carry_only_what_the_flags_and_data_say() {
        let set = knobs(
            Some("m"),
            None,
            Some(r#"{"effort": "low", "model": "old"}"#),
        );
        let set = set_only(&set.controls().unwrap()).unwrap();
        assert_eq!(set, json!({"model": "m", "effort": "low"}));

        let defaults = knobs(None, Some("high"), None).defaults(vec!["sandbox".into()]);
        let defaults = set_only(&defaults.unwrap()).unwrap();
        assert_eq!(defaults, json!({"effort": "high", "locked": ["sandbox"]}));

        let patch = knobs(None, Some("high"), Some(r#"{"sandbox": null}"#));
        let patch = body(&patch.patch(&["model".into()]).unwrap()).unwrap();
        assert_eq!(
            patch,
            json!({"model": null, "effort": "high", "sandbox": null})
        );
        assert!(knobs(None, None, None).patch(&["bogus".into()]).is_err());
        assert!(
            knobs(None, None, Some(r#"{"bogus": 1}"#))
                .controls()
                .is_err()
        );
    }
}
