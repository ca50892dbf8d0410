//! The error responses of the document: the shared ones every operation refers to, and the
//! code each status stands for, so that each example carries a code `ApiError` really sends.

use serde_json::{Value, json};

use crate::examples;

/// The error responses most operations share, referenced as `#/components/responses/<Name>`.
pub(super) fn shared_responses() -> Value {
    let response = |description: &str, code: &str, message: &str, details: Value| {
        let mut example = examples::error(code, message);
        example["error"]["details"] = details;
        let mut r = error_response(description);
        r["content"]["application/json"]["example"] = example;
        r
    };
    json!({
        "BadRequest": response("A parameter or body field is invalid; `details.field` names it",
            "validation", "text: missing field `text`", json!({ "field": "text" })),
        "Unauthorized": response("The bearer token is missing or wrong",
            "unauthorized", "missing or invalid bearer token", Value::Null),
        "Forbidden": response("The session is system-owned: only its owner changes it, over \
            the bus", "forbidden", "the session is owned by the system",
            json!({ "sessionId": examples::SESSION_ID, "owner": "system:queue",
                    "reason": "system_owned" })),
        "NotFound": response("No such session, project, request or key",
            "not_found", "no such session", json!({ "sessionId": examples::SESSION_ID })),
        "Conflict": response("This `Idempotency-Key` was used with another body, or the \
            resource's state forbids the request", "conflict",
            "the Idempotency-Key was used with another body", Value::Null),
        "PayloadTooLarge": response("The body is over the size limit",
            "payload_too_large", "request body is too large", Value::Null),
        "Internal": response("A bug: the cause is logged once, under `details.traceId`",
            "internal", "internal error while handling cm.v1.session.get",
            json!({ "traceId": "ea87a1f619bf94e1f3b1aadad7dcaf5e" })),
        "RuntimeError": response("The runtime answered with an error of its own; \
            `details.rpcCode` is its JSON-RPC code", "runtime_error",
            "thread/fork: no rollout found for thread id 019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011",
            json!({ "rpcCode": -32600, "data": null })),
        "Gone": response("The session was deleted", "gone", "the session was deleted",
            json!({ "id": examples::SESSION_ID, "resource": "session" })),
        "Timeout": response("The service or the runtime did not answer in time; the request \
            may have run (an `Idempotency-Key` retry replays this answer)", "timeout",
            "cm.v1.session.get timed out", Value::Null),
        "Unavailable": retry_after(response("A dependency is down; `details.dependency` names \
            it. The request may be sent again after `Retry-After`", "unavailable",
            "the session service is not answering", json!({ "dependency": "session" }))),
    })
}

/// Adds the `Retry-After` header `ApiError` sets on `503` and `429`.
fn retry_after(mut response: Value) -> Value {
    response["headers"] = json!({ "Retry-After": {
        "description": "Seconds to wait before trying again (1)",
        "schema": { "type": "integer", "minimum": 0 },
    } });
    response
}

/// `{"description", "content": ErrorBody}`.
pub(super) fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" }
        } },
    })
}

/// The stable code (and a sample message) an error status carries.
pub(super) fn error_code_of(status: &str) -> Option<(&'static str, &'static str)> {
    Some(match status {
        "400" => ("validation", "title: must be 1 to 200 characters"),
        "401" => ("unauthorized", "missing or invalid bearer token"),
        "403" => ("forbidden", "the session is owned by the system"),
        "404" => ("not_found", "no such session"),
        "409" => ("conflict", "the Idempotency-Key was used with another body"),
        "410" => ("gone", "the session was deleted"),
        "413" => ("payload_too_large", "request body is too large"),
        "423" => ("locked", "effort is locked by the defaults"),
        "429" => ("rate_limited", "too many open event streams"),
        "501" => (
            "not_supported",
            "the runtime does not implement this method",
        ),
        "502" => ("runtime_error", "the runtime answered with an error"),
        "503" => ("unavailable", "the session service is not answering"),
        "504" => ("timeout", "the runtime did not answer in time"),
        _ => return None,
    })
}
