//! Controls (S5): the global defaults, per-session values, the effective controls each turn
//! starts with, and locks (`cm.v1.session.controls.*`). Settings are in `controls/settings.rs`.
//!
//! Stored in `session.control_defaults` (one row) and `session.session_controls` (one row per
//! session, only the keys it sets). Effective = defaults overlaid by the session's values,
//! except locked keys, which keep the default. A session or a message may repeat a locked
//! key's default value; another value answers `locked` with `details.field`.

pub mod settings;

use std::sync::Arc;

use cm_schemas::controls::{
    ApprovalPolicy, CONTROL_KEYS, ControlDefaults, Controls, Effort, GetControlDefaults,
    GetSessionControls, MAX_MODEL_LEN, SandboxMode, SessionControls, SetSessionControls,
};
use cm_schemas::thread::TurnOverrides;
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Map, Value, json};
use tokio_postgres::GenericClient;

use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, lifecycle};

pub async fn get_defaults(
    ctx: Arc<Ctx>,
    _req: GetControlDefaults,
) -> Result<ControlDefaults, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    defaults(&**client).await
}

/// Replaces the defaults and the set of locked keys.
pub async fn set_defaults(
    ctx: Arc<Ctx>,
    req: ControlDefaults,
) -> Result<ControlDefaults, BusError> {
    let controls = req.controls();
    validate(&controls)?;
    if let Some(bad) = req
        .locked
        .iter()
        .find(|k| !CONTROL_KEYS.contains(&k.as_str()))
    {
        return Err(BusError::validation(
            "locked",
            format!(
                "{bad:?} is not a control; controls: {}",
                CONTROL_KEYS.join(", ")
            ),
        ));
    }
    // Stored in the order of CONTROL_KEYS, without repeats.
    let locked: Vec<String> = CONTROL_KEYS
        .iter()
        .filter(|k| req.locked.iter().any(|l| l == *k))
        .map(|k| (*k).to_owned())
        .collect();
    let client = ctx.pool.get().await.map_err(db::error)?;
    client
        .execute(
            "INSERT INTO session.control_defaults (id, controls, locked) VALUES (true, $1, $2)
             ON CONFLICT (id) DO UPDATE SET controls = EXCLUDED.controls,
                locked = EXCLUDED.locked, updated_at = now()",
            &[&stored(&controls), &locked],
        )
        .await
        .map_err(db::error)?;
    tracing::info!(?locked, "control defaults replaced");
    Ok(ControlDefaults::from_parts(controls, locked))
}

pub async fn get(ctx: Arc<Ctx>, req: GetSessionControls) -> Result<SessionControls, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    lifecycle::live(&**client, &req.session_id).await?;
    let own = session_controls(&**client, &req.session_id).await?;
    let defaults = defaults(&**client).await?;
    Ok(answer(req.session_id, own, &defaults))
}

/// Replaces (`merge: false`) or merges into the session's controls, in one statement so that
/// concurrent merges of different keys both land.
pub async fn set(ctx: Arc<Ctx>, req: SetSessionControls) -> Result<SessionControls, BusError> {
    let patch = serde_json::to_value(&req.controls)
        .map_err(|e| BusError::internal(format!("encoding controls: {e}")))?;
    // The values this request sets (nulls unset and are always allowed).
    let setting: Controls = serde_json::from_value(strip_nulls(&patch))
        .map_err(|e| BusError::validation("controls", e.to_string()))?;
    validate(&setting)?;
    let client = ctx.pool.get().await.map_err(db::error)?;
    lifecycle::writable(&**client, &req.session_id).await?;
    let defaults = defaults(&**client).await?;
    check_locks(&defaults, &setting)?;
    let row = client
        .query_one(
            "INSERT INTO session.session_controls (session_id, controls)
                VALUES ($1, jsonb_strip_nulls($2::jsonb))
             ON CONFLICT (session_id) DO UPDATE SET controls = jsonb_strip_nulls(
                CASE WHEN $3 THEN session.session_controls.controls || $2::jsonb ELSE $2::jsonb END),
                updated_at = now()
             RETURNING controls",
            &[&req.session_id, &patch, &req.merge],
        )
        .await
        .map_err(db::error)?;
    let own = parse(row.col("controls")?)?;
    Ok(answer(req.session_id, own, &defaults))
}

/// The overrides a turn of `session_id` starts with: the message's own `overrides` (checked
/// against the locks), then the session's effective controls for every knob they leave out.
pub async fn turn_overrides(
    db: &impl GenericClient,
    session_id: &str,
    message: TurnOverrides,
) -> Result<TurnOverrides, BusError> {
    let asked = message.controls;
    validate(&asked)?;
    let defaults = defaults(db).await?;
    check_locks(&defaults, &asked)?;
    let own = session_controls(db, session_id).await?;
    let eff = effective(&defaults, &own);
    Ok(TurnOverrides {
        controls: Controls {
            model: asked.model.or(eff.model),
            effort: asked.effort.or(eff.effort),
            approval_policy: asked.approval_policy.or(eff.approval_policy),
            sandbox: asked.sandbox.or(eff.sandbox),
            network_access: asked.network_access.or(eff.network_access),
        },
        cwd: message.cwd,
    })
}

async fn defaults(db: &impl GenericClient) -> Result<ControlDefaults, BusError> {
    let row = db
        .query_opt(
            "SELECT controls, locked FROM session.control_defaults WHERE id",
            &[],
        )
        .await
        .map_err(db::error)?;
    match row {
        Some(row) => Ok(ControlDefaults::from_parts(
            parse(row.col("controls")?)?,
            row.col("locked")?,
        )),
        None => Ok(ControlDefaults::default()),
    }
}

async fn session_controls(db: &impl GenericClient, id: &str) -> Result<Controls, BusError> {
    let row = db
        .query_opt(
            "SELECT controls FROM session.session_controls WHERE session_id = $1",
            &[&id],
        )
        .await
        .map_err(db::error)?;
    row.map_or(Ok(Controls::default()), |r| parse(r.col("controls")?))
}

fn answer(session_id: String, own: Controls, defaults: &ControlDefaults) -> SessionControls {
    SessionControls {
        session_id,
        effective: effective(defaults, &own),
        controls: own,
        locked: defaults.locked.clone(),
    }
}

/// The defaults overlaid by the session's values; locked keys keep the default.
fn effective(defaults: &ControlDefaults, own: &Controls) -> Controls {
    let mut out = to_map(&defaults.controls());
    for (key, value) in to_map(own) {
        if !value.is_null() && !defaults.locked.contains(&key) {
            out.insert(key, value);
        }
    }
    serde_json::from_value(Value::Object(out)).unwrap_or_default()
}

/// `locked` when `asked` sets a locked key to anything but its default.
fn check_locks(defaults: &ControlDefaults, asked: &Controls) -> Result<(), BusError> {
    let fixed = to_map(&defaults.controls());
    for (key, value) in to_map(asked) {
        let pinned = fixed.get(&key).unwrap_or(&Value::Null);
        if !value.is_null() && defaults.locked.contains(&key) && value != *pinned {
            return Err(BusError::new(
                ErrorCode::Locked,
                format!("{key} is locked by the control defaults"),
            )
            .with_details(json!({ "field": key, "locked": pinned })));
        }
    }
    Ok(())
}

/// Enumerated knobs must be one of their values; a model is 1–200 characters.
fn validate(c: &Controls) -> Result<(), BusError> {
    if let Some(model) = &c.model
        && (model.trim().is_empty() || model.chars().count() > MAX_MODEL_LEN)
    {
        return Err(BusError::validation(
            "model",
            format!("model must be 1 to {MAX_MODEL_LEN} characters"),
        ));
    }
    // Deserializing kept unknown values so that they are refused here, by their own field.
    let enums = [
        (
            "effort",
            c.effort.as_ref().map(|v| (v.is_known(), v.as_str())),
            Effort::NAMES,
        ),
        (
            "approvalPolicy",
            c.approval_policy
                .as_ref()
                .map(|v| (v.is_known(), v.as_str())),
            ApprovalPolicy::NAMES,
        ),
        (
            "sandbox",
            c.sandbox.as_ref().map(|v| (v.is_known(), v.as_str())),
            SandboxMode::NAMES,
        ),
    ];
    for (field, value, allowed) in enums {
        if let Some((false, v)) = value {
            return Err(BusError::validation(
                field,
                format!("{field} must be one of {}; got {v:?}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn to_map(c: &Controls) -> Map<String, Value> {
    match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Controls as stored: only the keys that are set.
fn stored(c: &Controls) -> Value {
    strip_nulls(&Value::Object(to_map(c)))
}

fn parse(v: Value) -> Result<Controls, BusError> {
    serde_json::from_value(v).map_err(|e| BusError::internal(format!("stored controls: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(locked: &[&str]) -> ControlDefaults {
        ControlDefaults {
            sandbox: Some("read-only".into()),
            effort: Some("low".into()),
            locked: locked.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn session_values_overlay_defaults_except_locked_keys() {
        let own = Controls {
            sandbox: Some("workspace-write".into()),
            effort: Some("high".into()),
            approval_policy: Some("untrusted".into()),
            ..Default::default()
        };
        let eff = effective(&defaults(&["sandbox"]), &own);
        assert_eq!(eff.sandbox, Some(SandboxMode::ReadOnly));
        assert_eq!(eff.effort, Some(Effort::High));
        assert_eq!(eff.approval_policy, Some(ApprovalPolicy::Untrusted));
        assert_eq!(eff.model, None);
    }

    #[test]
    fn a_locked_key_may_only_repeat_its_default() {
        let d = defaults(&["sandbox", "model"]);
        let same = Controls {
            sandbox: Some("read-only".into()),
            ..Default::default()
        };
        assert!(check_locks(&d, &same).is_ok());
        let other = Controls {
            sandbox: Some("danger-full-access".into()),
            ..Default::default()
        };
        let err = check_locks(&d, &other)
            .err()
            .unwrap_or_else(|| BusError::internal(""));
        assert_eq!(err.code, ErrorCode::Locked);
        assert_eq!(err.details["field"], "sandbox");
        let model = Controls {
            model: Some("m".into()),
            ..Default::default()
        };
        assert_eq!(
            check_locks(&d, &model)
                .err()
                .map(|e| e.details["field"].clone()),
            Some(json!("model"))
        );
    }

    #[test]
    fn bad_enums_name_their_field() {
        let bad = Controls {
            approval_policy: Some("sometimes".into()),
            ..Default::default()
        };
        let err = validate(&bad)
            .err()
            .unwrap_or_else(|| BusError::internal(""));
        assert_eq!(err.details["field"], "approvalPolicy");
        // As a client sends them: the body reads, the value is refused by its field.
        for (field, value) in [("effort", "extreme"), ("sandbox", "none")] {
            let asked: Controls = serde_json::from_value(json!({ field: value }))
                .unwrap_or_else(|e| panic!("{field}: {e}"));
            let err = validate(&asked)
                .err()
                .unwrap_or_else(|| BusError::internal(""));
            assert_eq!(
                (err.code, err.details["field"].as_str()),
                (ErrorCode::Validation, Some(field))
            );
            assert!(err.message.contains(&format!("got {value:?}")), "{err:?}");
        }
        let blank = Controls {
            model: Some(" ".into()),
            ..Default::default()
        };
        assert!(validate(&blank).is_err());
        let ok = Controls {
            effort: Some("xhigh".into()),
            sandbox: Some("danger-full-access".into()),
            network_access: Some(true),
            ..Default::default()
        };
        assert!(validate(&ok).is_ok());
    }
}
