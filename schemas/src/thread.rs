//! Thread and turn operations the runtime bridge carries to app-server
//! (`cm.v1.runtime.thread.op`, `cm.v1.runtime.thread.list`, `cm.v1.runtime.turn.*`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::controls::Controls;

/// Per-turn overrides: the session's [`Controls`] knobs, each over the thread's setting when
/// given, plus the turn's working directory. On the wire one flat object, as before.
///
/// The knobs are `Controls` itself rather than a copy of its fields, so the two cannot drift
/// apart again. `#[serde(flatten)]` would say that, but serde cannot combine it with
/// `deny_unknown_fields` (the flattened struct sees every key, `cwd` included), and an unknown
/// key must keep failing the body. So the impls below take `cwd` out and hand the rest to
/// `Controls`, whose own `deny_unknown_fields` refuses strays; `cwd` stays out of `Controls`
/// because only a turn has one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnOverrides {
    pub controls: Controls,
    /// Working directory for this turn.
    pub cwd: Option<String>,
}

impl Serialize for TurnOverrides {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Flattening is fine this way round: serializing has no unknown keys to refuse.
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            controls: &'a Controls,
            cwd: &'a Option<String>,
        }
        Flat {
            controls: &self.controls,
            cwd: &self.cwd,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TurnOverrides {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = Map::<String, Value>::deserialize(d)?;
        let cwd = match fields.remove("cwd") {
            None => None,
            Some(v) => Option::<String>::deserialize(v).map_err(D::Error::custom)?,
        };
        let controls = Controls::deserialize(Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(Self { controls, cwd })
    }
}

impl JsonSchema for TurnOverrides {
    fn schema_name() -> Cow<'static, str> {
        "TurnOverrides".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Controls::json_schema(generator);
        let mut cwd = generator.subschema_for::<Option<String>>();
        cwd.insert("default".into(), Value::Null);
        cwd.insert(
            "description".into(),
            "Working directory for this turn.".into(),
        );
        schema.remove("title");
        schema.insert(
            "description".into(),
            "Per-turn overrides (all optional; the thread's settings apply otherwise).".into(),
        );
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.insert("cwd".into(), cwd.to_value());
        }
        schema
    }
}

/// One operation on an existing thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum ThreadOp {
    Resume,
    Fork,
    Archive,
    Unarchive,
    Delete,
    Rename {
        name: String,
    },
    Compact,
    /// Roll back to before this turn (`thread/revert`).
    #[serde(rename_all = "camelCase")]
    Revert {
        before_turn_id: String,
    },
    #[serde(rename_all = "camelCase")]
    Read {
        include_turns: bool,
    },
    /// `review/start` with the runtime's review target (e.g. `{"type": "uncommittedChanges"}`).
    Review {
        target: Value,
    },
    /// Clean background terminals (answers `not_supported` where the runtime lacks it).
    CleanTerminals,
}

impl ThreadOp {
    /// The app-server method this operation calls.
    pub fn method(&self) -> &'static str {
        match self {
            ThreadOp::Resume => "thread/resume",
            ThreadOp::Fork => "thread/fork",
            ThreadOp::Archive => "thread/archive",
            ThreadOp::Unarchive => "thread/unarchive",
            ThreadOp::Delete => "thread/delete",
            ThreadOp::Rename { .. } => "thread/name/set",
            ThreadOp::Compact => "thread/compact/start",
            ThreadOp::Revert { .. } => "thread/revert",
            ThreadOp::Read { .. } => "thread/read",
            ThreadOp::Review { .. } => "review/start",
            ThreadOp::CleanTerminals => "thread/backgroundTerminals/clean",
        }
    }
}

/// `cm.v1.runtime.thread.op`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadCommand {
    pub thread_id: String,
    #[serde(flatten)]
    pub op: ThreadOp,
}

/// The runtime's result, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeResult {
    pub result: Value,
}

/// `cm.v1.runtime.thread.list`: app-server's `thread/list` params, passed through.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadList {
    #[serde(default)]
    pub params: Value,
}

/// `cm.v1.runtime.turn.steer`: add input to the running turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteer {
    pub thread_id: String,
    /// The active turn; the runtime rejects a steer aimed at another.
    pub turn_id: String,
    pub text: String,
}

/// `cm.v1.runtime.turn.interrupt`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnInterrupt {
    pub thread_id: String,
    pub turn_id: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controls::{ApprovalPolicy, Effort};

    #[test]
    fn overrides_are_one_flat_object() {
        let wire = json!({ "effort": "high", "approvalPolicy": "never", "cwd": "/tmp" });
        let o: TurnOverrides = serde_json::from_value(wire).unwrap();
        assert_eq!(o.controls.effort, Some(Effort::High));
        assert_eq!(o.controls.approval_policy, Some(ApprovalPolicy::Never));
        assert_eq!(o.cwd.as_deref(), Some("/tmp"));
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({ "model": null, "effort": "high", "approvalPolicy": "never",
                    "sandbox": null, "networkAccess": null, "cwd": "/tmp" })
        );
        let empty: TurnOverrides = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, TurnOverrides::default());
    }

    #[test]
    fn overrides_refuse_unknown_keys_and_bad_types() {
        let err = serde_json::from_value::<TurnOverrides>(json!({ "colour": "red" }))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        assert!(serde_json::from_value::<TurnOverrides>(json!({ "cwd": 3 })).is_err());
        assert!(serde_json::from_value::<TurnOverrides>(json!({ "effort": 3 })).is_err());
        assert!(serde_json::from_value::<TurnOverrides>(json!([])).is_err());
    }

    #[test]
    fn an_unknown_knob_value_is_kept_for_the_service_to_refuse() {
        let o: TurnOverrides = serde_json::from_value(json!({ "effort": "extreme" })).unwrap();
        assert_eq!(o.controls.effort, Some(Effort::Unknown("extreme".into())));
    }

    #[test]
    fn the_schema_is_the_controls_plus_cwd() {
        let schema = schemars::schema_for!(TurnOverrides).to_value();
        let props = schema["properties"].as_object().unwrap();
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys.len(),
            6,
            "model, effort, approvalPolicy, sandbox, networkAccess, cwd: {keys:?}"
        );
        assert!(props.contains_key("cwd"));
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
