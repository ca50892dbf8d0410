//! Controls and settings (`cm.v1.session.controls.*`, `cm.v1.session.settings.*`), feature S5.
//!
//! **Controls** are the per-turn knobs — model, effort, approval policy, sandbox, network
//! access — kept as global defaults and per session. A session's *effective* controls are the
//! defaults overlaid by its own values; every turn starts with them unless the message
//! overrides a knob. A default can be *locked*: then a session or a message that sets the key
//! to another value is refused with `locked` (`details.field` names the key), and the default
//! wins over an older session value.
//!
//! **Settings** are free-form JSON values by key, global or per session, for clients (UI
//! preferences, extension state): set, read, JSON merge-patch (RFC 7396) into an object, unset.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lifecycle::nullable;
use crate::wire_enum::wire_enum;

/// The control keys, as spelled on the wire (and in `details.field`, `locked`).
pub const CONTROL_KEYS: &[&str] = &[
    "model",
    "effort",
    "approvalPolicy",
    "sandbox",
    "networkAccess",
];

wire_enum! {
    /// How hard the model reasons.
    pub enum Effort(closed) {
        Minimal = "minimal",
        Low = "low",
        Medium = "medium",
        High = "high",
        Xhigh = "xhigh",
    }
}

wire_enum! {
    /// When the runtime asks before it runs a command.
    pub enum ApprovalPolicy(closed) {
        Untrusted = "untrusted",
        OnRequest = "on-request",
        OnFailure = "on-failure",
        Never = "never",
    }
}

wire_enum! {
    /// What commands may touch.
    pub enum SandboxMode(closed) {
        ReadOnly = "read-only",
        WorkspaceWrite = "workspace-write",
        DangerFullAccess = "danger-full-access",
    }
}

/// Longest accepted `model`.
pub const MAX_MODEL_LEN: usize = 200;

/// Longest setting key; keys are made of `[A-Za-z0-9._-]`.
pub const MAX_SETTING_KEY_LEN: usize = 128;
/// Largest setting value, as compact JSON (larger ones answer `payload_too_large`).
pub const MAX_SETTING_VALUE_BYTES: usize = 64 * 1024;

/// Whether `key` is a valid setting key: 1–128 characters of `[A-Za-z0-9._-]`.
pub fn valid_setting_key(key: &str) -> bool {
    (1..=MAX_SETTING_KEY_LEN).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The per-turn knobs; an absent (`null`) knob is not set at this level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Controls {
    #[serde(default)]
    pub model: Option<String>,
    /// Reasoning effort.
    #[serde(default)]
    pub effort: Option<Effort>,
    /// When the runtime asks before it acts.
    #[serde(default)]
    pub approval_policy: Option<ApprovalPolicy>,
    /// What commands may touch.
    #[serde(default)]
    pub sandbox: Option<SandboxMode>,
    /// Network access inside the sandbox (`read-only` and `workspace-write`).
    #[serde(default)]
    pub network_access: Option<bool>,
}

/// `cm.v1.session.controls.defaults.set` (replaces everything) and the answer of
/// `controls.defaults.get`: the global defaults and which keys are locked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlDefaults {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub effort: Option<Effort>,
    #[serde(default)]
    pub approval_policy: Option<ApprovalPolicy>,
    #[serde(default)]
    pub sandbox: Option<SandboxMode>,
    #[serde(default)]
    pub network_access: Option<bool>,
    /// Keys (of [`CONTROL_KEYS`]) that sessions and messages may not change.
    #[serde(default)]
    pub locked: Vec<String>,
}

impl ControlDefaults {
    pub fn controls(&self) -> Controls {
        Controls {
            model: self.model.clone(),
            effort: self.effort.clone(),
            approval_policy: self.approval_policy.clone(),
            sandbox: self.sandbox.clone(),
            network_access: self.network_access,
        }
    }

    pub fn from_parts(c: Controls, locked: Vec<String>) -> Self {
        Self {
            model: c.model,
            effort: c.effort,
            approval_policy: c.approval_policy,
            sandbox: c.sandbox,
            network_access: c.network_access,
            locked,
        }
    }
}

/// `cm.v1.session.controls.defaults.get`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GetControlDefaults {}

/// Changes to a session's controls: an absent key is left alone, `null` unsets it (JSON
/// merge-patch), a value sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlsPatch {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub model: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub effort: Option<Option<Effort>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub approval_policy: Option<Option<ApprovalPolicy>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub sandbox: Option<Option<SandboxMode>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub network_access: Option<Option<bool>>,
}

impl From<Controls> for ControlsPatch {
    /// Every key present: what a replacement sets (absent keys become unset).
    fn from(c: Controls) -> Self {
        Self {
            model: Some(c.model),
            effort: Some(c.effort),
            approval_policy: Some(c.approval_policy),
            sandbox: Some(c.sandbox),
            network_access: Some(c.network_access),
        }
    }
}

/// `cm.v1.session.controls.set`: replace the session's controls (`merge: false`, absent keys
/// are unset) or merge `controls` into them (`merge: true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetSessionControls {
    pub session_id: String,
    #[serde(default)]
    pub merge: bool,
    pub controls: ControlsPatch,
}

/// `cm.v1.session.controls.get`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetSessionControls {
    pub session_id: String,
}

/// A session's controls: its own values, what its turns get, and the locked keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionControls {
    pub session_id: String,
    /// Set on this session.
    pub controls: Controls,
    /// The defaults overlaid by `controls` (locked keys keep the default): a turn's overrides
    /// unless its message says otherwise.
    pub effective: Controls,
    pub locked: Vec<String>,
}

/// Where a setting lives: global when `sessionId` is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListSettings {
    #[serde(default)]
    pub session_id: Option<String>,
}

/// `cm.v1.session.settings.get` and `settings.unset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub key: String,
}

/// `cm.v1.session.settings.set`: store `value` (any JSON but `null`) under `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub key: String,
    pub value: Value,
}

/// `cm.v1.session.settings.merge`: apply `patch` (a JSON object, RFC 7396: `null` removes a
/// member) to the object stored under `key`, or to `{}` when there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub key: String,
    pub patch: Value,
}

/// One stored setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    pub key: String,
    pub value: Value,
    pub updated_at: DateTime<Utc>,
}

/// The answer of `cm.v1.session.settings.list`, ordered by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingList {
    pub settings: Vec<Setting>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_keys_are_short_and_plain() {
        assert!(valid_setting_key("ui.theme-v2_x"));
        assert!(valid_setting_key(&"k".repeat(MAX_SETTING_KEY_LEN)));
        assert!(!valid_setting_key(""));
        assert!(!valid_setting_key(&"k".repeat(MAX_SETTING_KEY_LEN + 1)));
        assert!(!valid_setting_key("a/b"));
        assert!(!valid_setting_key("é"));
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let p: ControlsPatch =
            serde_json::from_value(serde_json::json!({ "model": null, "effort": "low" }))
                .unwrap_or_default();
        assert_eq!(p.model, Some(None));
        assert_eq!(p.effort, Some(Some(Effort::Low)));
        assert_eq!(p.sandbox, None);
        let wire = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(wire, serde_json::json!({ "model": null, "effort": "low" }));
    }
}
