//! Bodies of the session routes (`/api/sessions/{id}/...`): turns, lifecycle and supplemental
//! transcript entries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lifecycle::nullable;
use crate::thread::TurnOverrides;

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The user's message.
    pub text: String,
    /// Controls for this turn only: model, effort, approval policy, sandbox, network, cwd.
    #[serde(default)]
    pub overrides: TurnOverrides,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Steer {
    /// Input added to the running turn.
    pub text: String,
}

/// `PATCH /api/sessions/{id}`: `{title?, projectId?}`; `projectId: null` unassigns.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionPatch {
    /// 1 to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub title: Option<String>,
    /// The project to file the session under; `null` unassigns.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("default" = null))]
    pub project_id: Option<Option<String>>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// How many of the last turns to drop; at least 1.
    #[serde(deserialize_with = "integral")]
    pub turns: i64,
}

/// An integer, also when written with a zero fraction (`2.0`): JSON Schema's `integer` is any
/// number without a fractional part, and the document says `integer`.
fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // Whole and well inside the range where f64 is exact: the cast loses nothing.
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(D::Error::custom(format!("{n} is not an integer"))),
    }
}

// `Default` is the empty body: the route accepts none at all.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `{"type": "uncommittedChanges"}` (the default), `{"type": "baseBranch", "branch"}`,
    /// `{"type": "commit", "sha"}` or `{"type": "custom", "instructions"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub target: Option<Value>,
}

/// `{role, text, turnId?, data?}`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryBody {
    /// `user`, `assistant`, `system` or `note`.
    pub role: String,
    /// At most 256 KiB.
    pub text: String,
    /// A turn of the session: rolling it back removes the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub turn_id: Option<String>,
    /// Any JSON kept with the entry, at most 64 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = null))]
    pub data: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_turns_may_be_written_with_a_zero_fraction() {
        let turns = |body: &str| serde_json::from_str::<RollbackBody>(body).map(|b| b.turns);
        assert_eq!(turns(r#"{"turns": 2}"#).ok(), Some(2));
        assert_eq!(turns(r#"{"turns": 2.0}"#).ok(), Some(2));
        assert!(turns(r#"{"turns": 2.5}"#).is_err());
    }

    #[test]
    fn a_present_null_differs_from_an_absent_field() {
        let patch = |body: &str| {
            serde_json::from_str::<SessionPatch>(body)
                .ok()
                .and_then(|p| p.project_id)
        };
        assert_eq!(patch(r#"{"projectId": null}"#), Some(None));
        assert_eq!(patch("{}"), None);
    }

    #[test]
    fn a_patch_serializes_as_it_deserializes() {
        let json = |project_id| {
            let p = SessionPatch {
                title: None,
                project_id,
            };
            serde_json::to_string(&p).unwrap_or_default()
        };
        assert_eq!(json(None), "{}");
        assert_eq!(json(Some(None)), r#"{"projectId":null}"#);
        assert_eq!(json(Some(Some("p".into()))), r#"{"projectId":"p"}"#);
    }
}
