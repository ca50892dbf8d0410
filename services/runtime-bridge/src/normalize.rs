//! Turning app-server notifications into bus events. The mapping table lives in
//! `docs/runtime-events.md`; keep the two in step.
//!
//! Every string of an event (body and raw, object keys included) is free of U+0000: Postgres
//! cannot store it, so the normalizer replaces it with U+FFFD before anything is published, and
//! the live stream and the stored snapshot carry the same text (`cm_schemas::text::scrub_nul`).

use cm_schemas::event::{DeltaStream, TurnStatus};
use cm_schemas::text::{scrub_nul, scrub_nul_str};
use cm_schemas::{Event, EventBody, Scope};
use serde_json::Value;

/// Normalizes one notification. Notifications that name no thread are runtime-scoped and carry
/// the bridge id; everything keeps its raw payload. U+0000 anywhere in `method` or `params`
/// becomes U+FFFD.
pub fn normalize(bridge_id: &str, method: &str, params: &Value) -> Event {
    let mut method = method.to_owned();
    let mut params = params.clone();
    if scrub_nul_str(&mut method) | scrub_nul(&mut params) {
        tracing::debug!(rpc.method = %method, "U+0000 in a notification replaced with U+FFFD");
    }
    let thread_id = str_at(&params, &["threadId"]);
    let turn_id = str_at(&params, &["turnId"]);
    let body = body_for(&method, &params, turn_id.clone());
    let raw = serde_json::json!({ "method": method, "params": params });
    match thread_id {
        Some(thread) => Event::new(Scope::Session, thread, body),
        None => Event::new(Scope::Runtime, bridge_id, body),
    }
    .with_raw(raw)
}

fn body_for(method: &str, params: &Value, turn_id: Option<String>) -> EventBody {
    let turn = || turn_id.clone().unwrap_or_default();
    let passthrough = || EventBody::RuntimeNotification {
        method: method.to_owned(),
        params: params.clone(),
    };
    match method {
        // A review runs as a child turn whose items and `turn/completed` name its root turn:
        // the child's start is the root's, or it would stay open for ever.
        "turn/started" => match str_at(params, &["turn", "rootTurnId"])
            .or_else(|| str_at(params, &["turn", "id"]))
        {
            Some(turn_id) => EventBody::TurnStarted { turn_id },
            None => passthrough(),
        },
        "turn/completed" => {
            let Some(turn_id) = str_at(params, &["turn", "id"]) else {
                return passthrough();
            };
            let status = match str_at(params, &["turn", "status"]).as_deref() {
                Some("completed") => TurnStatus::Completed,
                Some("interrupted") => TurnStatus::Interrupted,
                Some("inProgress") => TurnStatus::InProgress,
                _ => TurnStatus::Failed,
            };
            let error = params
                .pointer("/turn/error")
                .filter(|e| !e.is_null())
                .cloned();
            EventBody::TurnCompleted {
                turn_id,
                status,
                reason: None,
                error,
            }
        }
        "item/started" | "item/completed" => {
            let item = params.get("item").cloned().unwrap_or(Value::Null);
            let item_id = str_at(&item, &["id"]).unwrap_or_default();
            let item_type = str_at(&item, &["type"])
                .unwrap_or_else(|| "unknown".to_owned())
                .into();
            if method == "item/started" {
                EventBody::ItemStarted {
                    turn_id: turn(),
                    item_id,
                    item_type,
                    item,
                }
            } else {
                EventBody::ItemCompleted {
                    turn_id: turn(),
                    item_id,
                    item_type,
                    item,
                }
            }
        }
        "item/agentMessage/delta" => delta(params, turn(), DeltaStream::Text),
        "item/reasoning/summaryTextDelta" => delta(params, turn(), DeltaStream::ReasoningSummary),
        "item/reasoning/textDelta" => delta(params, turn(), DeltaStream::ReasoningText),
        "item/commandExecution/outputDelta" => delta(params, turn(), DeltaStream::CommandOutput),
        "item/fileChange/outputDelta" => delta(params, turn(), DeltaStream::FileChangeOutput),
        "turn/plan/updated" => EventBody::PlanUpdated {
            turn_id: turn(),
            explanation: str_at(params, &["explanation"]),
            plan: params.get("plan").cloned().unwrap_or(Value::Null),
        },
        "turn/diff/updated" => EventBody::DiffUpdated {
            turn_id: turn(),
            diff: str_at(params, &["diff"]).unwrap_or_default(),
        },
        "item/fileChange/patchUpdated" => EventBody::ItemUpdated {
            turn_id: turn(),
            item_id: str_at(params, &["itemId"]).unwrap_or_default(),
            update: serde_json::json!({ "changes": params.get("changes") }),
        },
        "item/mcpToolCall/progress" => EventBody::ItemUpdated {
            turn_id: turn(),
            item_id: str_at(params, &["itemId"]).unwrap_or_default(),
            update: serde_json::json!({ "message": params.get("message") }),
        },
        "thread/status/changed" => EventBody::SessionStatus {
            status: params.get("status").cloned().unwrap_or(Value::Null),
        },
        "account/rateLimits/updated" => EventBody::RateLimitsUpdated {
            rate_limits: params.get("rateLimits").cloned().unwrap_or(Value::Null),
        },
        "error" => EventBody::RuntimeError {
            turn_id,
            message: str_at(params, &["error", "message"])
                .unwrap_or_else(|| "runtime error".to_owned()),
            will_retry: params
                .get("willRetry")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            error: params.get("error").cloned().unwrap_or(Value::Null),
        },
        "warning" | "guardianWarning" => EventBody::RuntimeWarning {
            message: str_at(params, &["message"]).unwrap_or_default(),
        },
        "configWarning" | "deprecationNotice" => EventBody::RuntimeWarning {
            message: str_at(params, &["summary"]).unwrap_or_default(),
        },
        "thread/tokenUsage/updated" => EventBody::UsageUpdated {
            turn_id,
            usage: params.get("tokenUsage").cloned().unwrap_or(Value::Null),
        },
        _ => passthrough(),
    }
}

fn delta(params: &Value, turn_id: String, stream: DeltaStream) -> EventBody {
    EventBody::ItemDelta {
        turn_id,
        item_id: str_at(params, &["itemId"]).unwrap_or_default(),
        stream,
        delta: str_at(params, &["delta"]).unwrap_or_default(),
    }
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_child_turn_starts_its_root_turn() {
        let child = json!({"threadId": "th", "turn": {"id": "child", "rootTurnId": "root"}});
        let plain = json!({"threadId": "th", "turn": {"id": "t1", "rootTurnId": null}});
        let started = |p: &Value| normalize("b1", "turn/started", p).body;
        let root = EventBody::TurnStarted {
            turn_id: "root".into(),
        };
        assert_eq!(started(&child), root);
        let t1 = EventBody::TurnStarted {
            turn_id: "t1".into(),
        };
        assert_eq!(started(&plain), t1);
    }

    #[test]
    fn agent_message_delta_becomes_text_delta_on_the_thread() {
        let params = json!({"threadId": "th", "turnId": "tu", "itemId": "m1", "delta": "Hel"});
        let ev = normalize("b1", "item/agentMessage/delta", &params);
        assert_eq!(ev.scope, Scope::Session);
        assert_eq!(ev.scope_id, "th");
        assert_eq!(
            ev.body,
            EventBody::ItemDelta {
                turn_id: "tu".into(),
                item_id: "m1".into(),
                stream: DeltaStream::Text,
                delta: "Hel".into()
            }
        );
        assert!(ev.raw.is_some());
    }

    #[test]
    fn turn_completed_carries_status_and_error() {
        let params = json!({"threadId": "th", "turn": {"id": "tu", "status": "failed", "error": {"message": "boom"}}});
        let ev = normalize("b1", "turn/completed", &params);
        match ev.body {
            EventBody::TurnCompleted {
                turn_id,
                status,
                error,
                ..
            } => {
                assert_eq!(turn_id, "tu");
                assert_eq!(status, TurnStatus::Failed);
                assert_eq!(error, Some(json!({"message": "boom"})));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nul_becomes_the_replacement_character_in_body_and_raw() {
        let params = json!({"threadId": "th", "turnId": "tu", "item": {"id": "c1", "type": "commandExecution",
            "aggregatedOutput": "a\u{0}b", "k\u{0}ey": ["\u{0}"]}});
        let ev = normalize("b1", "item/completed", &params);
        let text = serde_json::to_string(&ev).unwrap();
        assert!(!text.contains("\\u0000"), "{text}");
        match &ev.body {
            EventBody::ItemCompleted { item, .. } => {
                assert_eq!(item["aggregatedOutput"], "a\u{FFFD}b");
                assert_eq!(item["k\u{FFFD}ey"][0], "\u{FFFD}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let raw = ev.raw.unwrap();
        assert_eq!(raw["params"]["item"]["aggregatedOutput"], "a\u{FFFD}b");
    }

    #[test]
    fn unknown_notifications_pass_through_runtime_scoped() {
        let ev = normalize("b1", "skills/changed", &json!({"x": 1}));
        assert_eq!(ev.scope, Scope::Runtime);
        assert_eq!(ev.scope_id, "b1");
        assert_eq!(ev.body.kind(), "runtime.notification");
    }
}
