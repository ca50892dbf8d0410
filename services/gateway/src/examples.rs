//! Example bodies shared by several operations. Every example in the document is checked
//! against its schema by `tests/openapi.rs`, so these cannot drift from the types.

use serde_json::{Value, json};

pub const SESSION_ID: &str = "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011";
pub const TURN_ID: &str = "019ab3c4-2222-7aaa-8bbb-0c0d0e0f1011";

pub fn session() -> Value {
    json!({
        "id": SESSION_ID, "title": "Fix the flaky test", "cwd": "/srv/billing",
        "model": "gpt-5.1-codex", "createdAt": "2026-11-25T09:30:00Z",
        "updatedAt": "2026-11-25T09:31:12Z", "status": "idle",
        "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d", "archived": false,
        "owner": null, "systemOwned": false
    })
}

pub fn turn_accepted() -> Value {
    json!({ "sessionId": SESSION_ID, "turnId": TURN_ID })
}

pub fn snapshot() -> Value {
    json!({
        "session": session(),
        "seq": 118,
        "turns": [{
            "id": TURN_ID, "seq": 101, "status": "completed", "reason": null, "error": null,
            "usage": { "inputTokens": 1520, "outputTokens": 212 },
            "plan": null, "diff": null,
            "startedAt": "2026-11-25T09:30:05Z", "completedAt": "2026-11-25T09:30:09Z",
            "items": [
                { "id": "item_user_1", "itemType": "userMessage", "status": "completed",
                  "text": "Why does the test fail?",
                  "item": { "type": "userMessage", "id": "item_user_1",
                            "content": [{ "type": "text", "text": "Why does the test fail?" }] } },
                { "id": "msg_1", "itemType": "agentMessage", "status": "completed",
                  "text": "It depends on the wall clock.",
                  "item": { "type": "agentMessage", "id": "msg_1",
                            "text": "It depends on the wall clock." } }
            ]
        }],
        "entries": [{
            "messageId": "note-7", "role": "note", "text": "Deployed to staging.",
            "turnId": TURN_ID, "data": { "source": "ci" }, "seq": 117, "updatedSeq": 117,
            "createdAt": "2026-11-25T09:30:10Z", "updatedAt": "2026-11-25T09:30:10Z"
        }]
    })
}

pub fn request_record() -> Value {
    json!({
        "id": "req_01", "sessionId": SESSION_ID, "turnId": TURN_ID, "itemId": "call_1",
        "kind": "commandApproval", "method": "item/commandExecution/requestApproval",
        "params": { "threadId": SESSION_ID, "turnId": TURN_ID, "itemId": "call_1",
                    "command": "cargo test", "cwd": "/srv/billing" },
        "availableDecisions": ["accept", "cancel"],
        "openedAt": "2026-11-25T09:30:06Z",
        "status": "resolved", "response": { "decision": "accept" }, "decidedBy": "web",
        "reason": null, "resolvedAt": "2026-11-25T09:30:08Z"
    })
}

/// An error body with `code` and a message for a status.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "details": null } })
}
