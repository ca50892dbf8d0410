//! The subject permissions of each [`Principal`]: the one table nats-server enforces
//! (rendered into its `authorization` block by [`super::credentials`]) and `docs/bus.md`
//! documents. Least privilege: a user gets the command subjects it calls, the event kinds it
//! produces, the JetStream API of the streams it reads or owns, and its own reply inbox.
//! Services answer requests through `allow_responses`, never through a publish grant on
//! `_INBOX.>`.

use cm_schemas::{commands, subjects};

use super::Principal;
use crate::blobs::{EVENT_BLOBS, REPLY_BLOBS};

/// What one user may publish and subscribe to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    pub publish_allow: Vec<String>,
    pub publish_deny: Vec<String>,
    pub subscribe_allow: Vec<String>,
    /// May answer the requests it receives (publish once to their reply subject).
    pub allow_responses: bool,
}

/// Event kinds only the runtime bridge produces: what the runtime said.
pub const BRIDGE_EVENT_KINDS: &[&str] = &[
    "turn.>",
    "item.>",
    "request.>",
    "usage.>",
    "plan.>",
    "diff.>",
    "rate_limits.>",
    "runtime.>",
    "session.status",
];

/// Event kinds only the session service produces: what it decided or stored.
pub const SESSION_EVENT_KINDS: &[&str] = &[
    "session.created",
    "session.updated",
    "session.deleted",
    "session.rolled_back",
    "transcript.>",
    "project.>",
    "event.>",
    "runtime.warning",
];

/// The session commands the `automation` user may call: read sessions and their events, start,
/// steer and interrupt turns, list and decide requests. Not settings, controls, deletes,
/// idempotency records or transcript edits, and nothing of the runtime directly.
pub const AUTOMATION_SESSION_VERBS: &[&str] = &[
    commands::verb::SESSION_CREATE,
    commands::verb::SESSION_LIST,
    commands::verb::SESSION_GET,
    commands::verb::SESSION_EVENTS_PAGE,
    commands::verb::SESSION_TURN_START,
    commands::verb::SESSION_TURN_STEER,
    commands::verb::SESSION_TURN_INTERRUPT,
    commands::verb::REQUEST_LIST,
    commands::verb::REQUEST_DECIDE,
];

pub fn permissions(principal: Principal) -> Permissions {
    use subjects::prefix;
    let mut p = Permissions {
        subscribe_allow: vec![format!("{}.>", principal.inbox_prefix())],
        ..Default::default()
    };
    let service = |p: &mut Permissions, own: &str| {
        p.subscribe_allow.push(format!("{own}.>"));
        // Service discovery: every service answers $SRV.PING/INFO/STATS.
        p.subscribe_allow.push("$SRV.>".to_owned());
        p.allow_responses = true;
        p.publish_allow.push("$JS.API.INFO".to_owned());
        // A large answer goes through the reply blob store.
        blob_write(p, REPLY_BLOBS);
    };
    match principal {
        Principal::Admin => {
            p.publish_allow = vec![">".to_owned()];
            p.subscribe_allow = vec![">".to_owned()];
            p.allow_responses = true;
        }
        Principal::Gateway => {
            service(&mut p, prefix::GATEWAY);
            for cmd in [prefix::SESSION, prefix::RUNTIME, prefix::QUEUE] {
                p.publish_allow.push(format!("{cmd}.>"));
            }
            p.publish_allow.push("$SRV.>".to_owned());
            js_read(&mut p, subjects::EVENTS_STREAM, true);
            blob_read(&mut p, EVENT_BLOBS);
            blob_read(&mut p, REPLY_BLOBS);
            blob_delete(&mut p, REPLY_BLOBS);
        }
        Principal::Session => {
            service(&mut p, prefix::SESSION);
            p.publish_allow.push(format!("{}.>", prefix::RUNTIME));
            // Arbitrary runtime calls (command exec) are the operator's, through the gateway.
            p.publish_deny.push(subjects::command(
                prefix::RUNTIME,
                commands::verb::RUNTIME_CALL,
            ));
            events(&mut p, SESSION_EVENT_KINDS);
            js_admin(&mut p, subjects::EVENTS_STREAM);
            // A deleted session's history leaves the stream.
            p.publish_allow
                .push(format!("$JS.API.STREAM.PURGE.{}", subjects::EVENTS_STREAM));
            js_read(&mut p, subjects::EVENTS_STREAM, true);
            blob_read(&mut p, EVENT_BLOBS);
            blob_write(&mut p, EVENT_BLOBS);
            blob_read(&mut p, REPLY_BLOBS);
            blob_delete(&mut p, REPLY_BLOBS);
        }
        Principal::RuntimeBridge => {
            service(&mut p, prefix::RUNTIME);
            events(&mut p, BRIDGE_EVENT_KINDS);
            // Its memory of what is in flight, read back after a restart.
            p.publish_allow
                .push(subjects::BRIDGE_STATE_SUBJECTS.to_owned());
            js_admin(&mut p, subjects::BRIDGE_STATE_STREAM);
            js_read(&mut p, subjects::BRIDGE_STATE_STREAM, true);
            js_admin(&mut p, subjects::EVENTS_STREAM);
            js_read(&mut p, subjects::EVENTS_STREAM, true);
            blob_read(&mut p, EVENT_BLOBS);
            blob_write(&mut p, EVENT_BLOBS);
        }
        Principal::QueueWorker => {
            service(&mut p, prefix::QUEUE);
            p.publish_allow.push(format!("{}.>", prefix::SESSION));
            // Jobs are queued in Postgres; the worker's outbox relay publishes their events.
            for scope in ["job", "extension"] {
                p.publish_allow.push(format!("cm.v1.evt.{scope}.>"));
            }
            js_read(&mut p, subjects::EVENTS_STREAM, true);
            blob_read(&mut p, EVENT_BLOBS);
            blob_write(&mut p, EVENT_BLOBS);
            blob_read(&mut p, REPLY_BLOBS);
            blob_delete(&mut p, REPLY_BLOBS);
        }
        Principal::Automation => {
            p.publish_allow.push("$JS.API.INFO".to_owned());
            for verb in AUTOMATION_SESSION_VERBS {
                p.publish_allow
                    .push(subjects::command(prefix::SESSION, verb));
            }
            p.publish_allow.push(format!("{}.>", prefix::QUEUE));
            for discover in ["$SRV.PING", "$SRV.INFO", "$SRV.STATS"] {
                p.publish_allow.push(discover.to_owned());
                p.publish_allow.push(format!("{discover}.>"));
            }
            // Follows events with its own consumers, but deletes none (the session service's
            // durable consumer among them).
            js_read(&mut p, subjects::EVENTS_STREAM, false);
            blob_read(&mut p, EVENT_BLOBS);
            blob_read(&mut p, REPLY_BLOBS);
            blob_delete(&mut p, REPLY_BLOBS);
        }
    }
    if !matches!(principal, Principal::Session | Principal::Admin) {
        // The session service's durable consumer is its alone: a message pulled or acked by
        // anyone else would stall or skip persistence.
        let (stream, durable) = (subjects::EVENTS_STREAM, subjects::SESSION_CONSUMER);
        p.publish_deny.extend([
            format!("$JS.API.CONSUMER.CREATE.{stream}.{durable}"),
            format!("$JS.API.CONSUMER.CREATE.{stream}.{durable}.>"),
            format!("$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}"),
            format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"),
            format!("$JS.API.CONSUMER.DELETE.{stream}.{durable}"),
            format!("$JS.ACK.{stream}.{durable}.>"),
        ]);
    }
    p
}

fn events(p: &mut Permissions, kinds: &[&str]) {
    for kind in kinds {
        p.publish_allow.push(format!("cm.v1.evt.*.*.{kind}"));
    }
}

/// Reads a stream through consumers of its own (ephemeral, ordered or durable) and direct gets.
fn js_read(p: &mut Permissions, stream: &str, delete_consumers: bool) {
    let api = "$JS.API";
    p.publish_allow.extend([
        format!("{api}.STREAM.INFO.{stream}"),
        format!("{api}.STREAM.MSG.GET.{stream}"),
        format!("{api}.DIRECT.GET.{stream}"),
        format!("{api}.DIRECT.GET.{stream}.>"),
        format!("{api}.CONSUMER.CREATE.{stream}"),
        format!("{api}.CONSUMER.CREATE.{stream}.>"),
        format!("{api}.CONSUMER.DURABLE.CREATE.{stream}.>"),
        format!("{api}.CONSUMER.INFO.{stream}.>"),
        format!("{api}.CONSUMER.MSG.NEXT.{stream}.>"),
        format!("$JS.ACK.{stream}.>"),
        format!("$JS.FC.{stream}.>"),
    ]);
    if delete_consumers {
        p.publish_allow
            .push(format!("{api}.CONSUMER.DELETE.{stream}.>"));
    }
}

/// Creates the stream or brings its configuration up to date at start-up.
fn js_admin(p: &mut Permissions, stream: &str) {
    p.publish_allow.extend([
        format!("$JS.API.STREAM.CREATE.{stream}"),
        format!("$JS.API.STREAM.UPDATE.{stream}"),
    ]);
}

/// An object store is the stream `OBJ_<bucket>`, written on `$O.<bucket>.>`.
fn blob_read(p: &mut Permissions, bucket: &str) {
    js_read(p, &format!("OBJ_{bucket}"), true);
}

fn blob_write(p: &mut Permissions, bucket: &str) {
    js_admin(p, &format!("OBJ_{bucket}"));
    p.publish_allow.push(format!("$O.{bucket}.>"));
}

/// Deleting an object rewrites its metadata and purges its chunks.
fn blob_delete(p: &mut Permissions, bucket: &str) {
    p.publish_allow.extend([
        format!("$O.{bucket}.M.>"),
        format!("$JS.API.STREAM.PURGE.OBJ_{bucket}"),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bridge_publishes_runtime_events_and_only_admin_everything() {
        for principal in Principal::ALL {
            let p = permissions(principal);
            let turn_events = p.publish_allow.iter().any(|s| s.ends_with(".turn.>"));
            assert_eq!(
                turn_events,
                principal == Principal::RuntimeBridge,
                "{principal}"
            );
            assert_eq!(
                p.publish_allow.contains(&">".to_owned()),
                principal == Principal::Admin
            );
        }
    }

    #[test]
    fn automation_cannot_reach_the_runtime_or_delete_consumers() {
        let p = permissions(Principal::Automation);
        assert!(
            !p.publish_allow
                .iter()
                .any(|s| s.starts_with("cm.v1.runtime"))
        );
        assert!(
            !p.publish_allow
                .iter()
                .any(|s| s.contains("CONSUMER.DELETE.CM_EVENTS"))
        );
        assert!(!p.allow_responses);
        assert_eq!(p.subscribe_allow, ["_INBOX.automation.>"]);
    }

    #[test]
    fn the_queue_worker_publishes_job_events_and_owns_no_stream() {
        let p = permissions(Principal::QueueWorker);
        let event = cm_schemas::subjects::event(cm_schemas::Scope::Job, "j1", "job.completed");
        assert!(p.publish_allow.iter().any(|s| s == "cm.v1.evt.job.>"));
        assert!(event.starts_with("cm.v1.evt.job."));
        // Jobs are queued in Postgres: no work-queue stream to create, and no session events.
        assert!(
            !p.publish_allow
                .iter()
                .any(|s| s.contains("STREAM.CREATE") && !s.contains("OBJ_"))
        );
        assert!(
            !p.publish_allow
                .iter()
                .any(|s| s.ends_with(".session.created"))
        );
        // `agent_instruction` follows its worker sessions with ordered consumers of its own,
        // reading only: no stream to change, and the session service's consumer is not its.
        let stream = subjects::EVENTS_STREAM;
        for allowed in [
            format!("$JS.API.STREAM.INFO.{stream}"),
            format!("$JS.API.CONSUMER.CREATE.{stream}.>"),
            format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.>"),
        ] {
            assert!(p.publish_allow.contains(&allowed), "{allowed}");
        }
        assert!(
            !p.publish_allow
                .iter()
                .any(|s| s.contains(&format!("STREAM.UPDATE.{stream}")))
        );
        let durable = subjects::SESSION_CONSUMER;
        assert!(
            p.publish_deny
                .contains(&format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"))
        );
    }
}
