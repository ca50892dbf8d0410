//! Session lifecycle commands (`cm.v1.session.{update,archive,unarchive,delete,fork,compact,
//! rollback,resume,review,terminals.clean}`): each calls the runtime where a thread is involved,
//! records the change in Postgres and publishes a session event.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Deserializes a present field as `Some(value)`, `null` included, so that with
/// `#[serde(default)]` an absent field (`None`) differs from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `cm.v1.session.update`: rename and/or move to a project. An absent field stays as it is;
/// `projectId: null` makes the session unassigned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSession {
    pub session_id: String,
    /// 1 to 200 characters; also set as the thread's name in the runtime.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub project_id: Option<Option<String>>,
}

/// The target of `archive`, `unarchive`, `delete`, `fork`, `compact`, `resume` and
/// `terminals.clean`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRef {
    pub session_id: String,
}

/// `cm.v1.session.delete`: the session and its transcript are gone; later commands on it
/// answer `gone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDeleted {
    pub session_id: String,
}

/// `compact` and `terminals.clean`: the runtime's answer. A compaction runs as a turn whose
/// events follow on the session's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionActionResult {
    pub session_id: String,
    pub result: Value,
}

/// `cm.v1.session.rollback`: drop the last `turns` turns from the thread's history
/// (`thread/revert`) and from the transcript. Local file changes are not reverted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollbackSession {
    pub session_id: String,
    /// At least 1; `conflict` when the session has fewer turns.
    pub turns: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolledBack {
    pub session_id: String,
    /// The removed turns, oldest first.
    pub removed_turn_ids: Vec<String>,
}

/// `cm.v1.session.review`: start a review turn (`review/start`, delivered inline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewSession {
    pub session_id: String,
    /// The runtime's review target; `{"type": "uncommittedChanges"}` when absent. Others:
    /// `{"type": "baseBranch", "branch"}`, `{"type": "commit", "sha"}`,
    /// `{"type": "custom", "instructions"}`.
    #[serde(default)]
    pub target: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_null_project_differ() {
        let absent: UpdateSession =
            serde_json::from_str(r#"{"sessionId":"s"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(absent.project_id, None);
        let null: UpdateSession = serde_json::from_str(r#"{"sessionId":"s","projectId":null}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(null.project_id, Some(None));
        let set: UpdateSession = serde_json::from_str(r#"{"sessionId":"s","projectId":"p"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.project_id, Some(Some("p".into())));
    }
}
