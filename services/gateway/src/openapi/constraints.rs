//! What the session service checks in request bodies that their Rust types do not say (a
//! `String` that must be one of a few values, a text that must not be blank), stated in the
//! HTTP document's component schemas so a client can tell valid from invalid bodies without
//! sending them. The bus schemas (`schemas/json/`) are left as they are: this is the HTTP
//! contract, where the gateway and the session service enforce it.

use cm_schemas::controls::{ApprovalPolicy, CONTROL_KEYS, MAX_MODEL_LEN};
use cm_schemas::job;
use cm_schemas::session::TRANSCRIPT_ROLES;
use serde_json::{Map, Value, json};

/// Types of the pinned app-server protocol the table refers to (as `codex.<Name>`).
pub const CODEX_TYPES: [&str; 1] = ["ReviewTarget"];

/// Some non-whitespace character (the services trim and refuse blank texts).
const NOT_BLANK: &str = r"\S";
/// An absolute path without control characters (a working directory).
const ABSOLUTE_PATH: &str = r"^/[^\x00-\x1f\x7f-\x9f]*$";
/// A project name: not blank, no control characters.
const NAME: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

/// One of `values`, or `null` when `nullable`.
fn one_of(values: &[&str], nullable: bool) -> Value {
    let mut all: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    if nullable {
        all.push(Value::Null);
    }
    json!({ "enum": all })
}

/// `(component, property, what to merge into the property's schema)`.
fn table() -> Vec<(&'static str, &'static str, Value)> {
    let model = json!({ "pattern": NOT_BLANK, "maxLength": MAX_MODEL_LEN });
    let mut rows = vec![
        ("SendMessage", "text", json!({ "pattern": NOT_BLANK })),
        ("Steer", "text", json!({ "pattern": NOT_BLANK })),
        (
            "RollbackBody",
            "turns",
            json!({ "minimum": 1, "maximum": 1000 }),
        ),
        (
            "ReviewBody",
            "target",
            // What review/start of the pinned runtime accepts.
            json!({ "anyOf": [
                { "type": "null" },
                { "$ref": "#/components/schemas/codex.ReviewTarget" },
            ] }),
        ),
        (
            "SessionPatch",
            "title",
            json!({ "pattern": NOT_BLANK, "maxLength": 200 }),
        ),
        ("SessionPatch", "projectId", json!({ "minLength": 1 })),
        (
            "ProjectPatch",
            "name",
            json!({ "pattern": NAME, "maxLength": 100 }),
        ),
        (
            "ProjectPatch",
            "cwd",
            json!({ "pattern": ABSOLUTE_PATH, "maxLength": 4096 }),
        ),
        (
            "CreateProject",
            "name",
            json!({ "pattern": NAME, "maxLength": 100 }),
        ),
        (
            "CreateProject",
            "cwd",
            json!({ "pattern": ABSOLUTE_PATH, "maxLength": 4096 }),
        ),
        ("CreateSession", "title", json!({ "maxLength": 200 })),
        // The bridge checks it when it starts the session's thread (`paths.rs`): absolute, no
        // control characters, at most 4096 bytes (and no `..`, and existing, which a schema
        // cannot say).
        (
            "CreateSession",
            "cwd",
            json!({ "pattern": ABSOLUTE_PATH, "maxLength": 4096 }),
        ),
        // Bus only: the HTTP API refuses it.
        ("CreateSession", "owner", json!({ "not": {} })),
        ("EntryBody", "role", one_of(&TRANSCRIPT_ROLES, false)),
        ("EntryBody", "turnId", json!({ "minLength": 1 })),
        // What the queue worker checks (`services/queue-worker/src/commands.rs`); the ids
        // also what the gateway checks of every id.
        (
            "EnqueueJob",
            "maxAttempts",
            json!({ "minimum": 1, "maximum": job::MAX_ATTEMPTS }),
        ),
        (
            "EnqueueJob",
            "timeoutMs",
            json!({ "minimum": 1, "maximum": job::MAX_TIMEOUT_MS }),
        ),
        (
            "EnqueueJob",
            "dedupeKey",
            json!({ "minLength": 1, "maxLength": job::MAX_KEY_LEN }),
        ),
        (
            "EnqueueJob",
            "projectId",
            json!({ "pattern": crate::params::ID_PATTERN }),
        ),
        (
            "EnqueueJob",
            "sessionId",
            json!({ "pattern": crate::params::ID_PATTERN }),
        ),
    ];
    // turn/start of the pinned runtime knows no `on-failure` (its AskForApproval is untrusted,
    // on-request, never or granular): a turn's override cannot be it, though the session's
    // controls, which `thread/start` also takes, can.
    let turn_policies: Vec<&str> = ApprovalPolicy::NAMES
        .iter()
        .copied()
        .filter(|p| *p != ApprovalPolicy::OnFailure.as_str())
        .collect();
    rows.push((
        "TurnOverrides",
        "approvalPolicy",
        one_of(&turn_policies, true),
    ));
    for component in [
        "Controls",
        "ControlDefaults",
        "ControlsPatch",
        "TurnOverrides",
    ] {
        rows.push((component, "model", model.clone()));
        // Checked by the bridge before the runtime sees it (`paths.rs`).
        rows.push((
            component,
            "cwd",
            json!({ "pattern": ABSOLUTE_PATH, "maxLength": 4096 }),
        ));
    }
    rows.push((
        "ControlDefaults",
        "locked",
        json!({ "items": { "enum": CONTROL_KEYS } }),
    ));
    rows
}

/// What the queue worker checks of each job kind's fields (`cm_schemas::job`, `Job::check`),
/// merged into the variants of the `Job` component by their `kind`.
fn job_table() -> Vec<(&'static str, &'static str, Value)> {
    let version = json!({ "minimum": 1, "maximum": 1 });
    vec![
        ("noop", "version", version.clone()),
        (
            "noop",
            "sleepMs",
            json!({ "maximum": job::MAX_NOOP_SLEEP_MS }),
        ),
        ("agent_instruction", "version", version),
        (
            "agent_instruction",
            "instruction",
            json!({ "pattern": NOT_BLANK, "maxLength": job::MAX_INSTRUCTION_CHARS }),
        ),
        (
            "agent_instruction",
            "cwd",
            json!({ "pattern": ABSOLUTE_PATH, "maxLength": job::MAX_CWD_CHARS }),
        ),
        (
            "agent_instruction",
            "model",
            json!({ "pattern": NOT_BLANK, "maxLength": job::MAX_MODEL_CHARS }),
        ),
    ]
}

fn apply_jobs(schemas: &mut Map<String, Value>) {
    let Some(variants) = schemas
        .get_mut("Job")
        .and_then(|j| j.get_mut("oneOf"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for variant in variants {
        let kind = variant["properties"]["kind"]["const"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for (of, property, extra) in job_table() {
            if of != kind {
                continue;
            }
            if let (Some(prop), Value::Object(extra)) = (
                variant["properties"]
                    .get_mut(property)
                    .and_then(Value::as_object_mut),
                extra,
            ) {
                prop.extend(extra);
            }
        }
    }
}

/// Merges the table into `components.schemas`; `required` marks fields a body must carry even
/// though their type has a default (`MoveBody.toProjectId`: an empty body must not unassign a
/// whole project).
pub fn apply(schemas: &mut Map<String, Value>) {
    apply_jobs(schemas);
    for (component, property, extra) in table() {
        let Some(prop) = schemas
            .get_mut(component)
            .and_then(|c| c.get_mut("properties"))
            .and_then(|p| p.get_mut(property))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if let Value::Object(extra) = extra {
            prop.extend(extra);
        }
    }
    if let Some(body) = schemas.get_mut("MoveBody") {
        body["required"] = json!(["toProjectId"]);
    }
}
