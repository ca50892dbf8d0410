//! Server→client requests: held open as pending requests until a decision arrives over the
//! bus, or expired when the runtime settles them itself or goes away.

use std::sync::Arc;

use chrono::Utc;
use cm_schemas::request::{PendingRequest, RequestKind, RequestOutcome};
use cm_schemas::{Event, EventBody, Scope};
use serde_json::{Value, json};

use super::Runtime;
use crate::instance::Instance;
use crate::normalize::normalize;
use crate::tracker::HeldRequest;

impl Runtime {
    /// Publishes that a request expired and forgets it durably.
    pub async fn expire(&self, session_id: &str, request_id: &str, reason: &str) {
        let body = EventBody::RequestResolved {
            request_id: request_id.to_owned(),
            outcome: RequestOutcome::Expired,
            response: None,
            decided_by: None,
            reason: Some(reason.to_owned()),
        };
        self.emit(Event::new(Scope::Session, session_id, body))
            .await;
        if let Some(f) = &self.inflight {
            f.request_ended(request_id).await;
        }
    }

    /// `serverRequest/resolved` for a request we still hold: the runtime settled it itself
    /// (an interrupt, for example), so no decision can reach it any more.
    pub(super) async fn settled_by_runtime(&self, instance: &Arc<Instance>, params: &Value) {
        let Some(rpc_id) = params.get("requestId") else {
            return;
        };
        let held = match self.tracker.lock() {
            Ok(mut t) => t
                .request_by_rpc_id(instance, rpc_id)
                .and_then(|id| t.requests.remove(&id).map(|r| (id, r))),
            Err(_) => None,
        };
        if let Some((request_id, req)) = held {
            self.expire(&req.session_id, &request_id, "resolved_by_runtime")
                .await;
        }
    }

    /// Server→client requests we know become pending requests held open until decided; any
    /// other method is refused at once with a JSON-RPC error so the runtime never waits, and
    /// surfaced as an event.
    pub(super) async fn on_server_request(
        &self,
        instance: &Arc<Instance>,
        id: Value,
        method: &str,
        mut params: Value,
    ) {
        // Like every notification (`normalize`): no U+0000 reaches the bus or Postgres.
        let mut method = method.to_owned();
        cm_schemas::text::scrub_nul_str(&mut method);
        let method = method.as_str();
        cm_schemas::text::scrub_nul(&mut params);
        let thread = params
            .get("threadId")
            .or_else(|| params.get("conversationId"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (Some(kind), Some(thread)) = (RequestKind::of_method(method), thread) else {
            tracing::warn!(method, "server request refused: not handled by this bridge");
            let refusal = Err((-32601, format!("codex-manager does not handle {method}")));
            if let Err(e) = instance.server.respond(id.clone(), refusal).await {
                tracing::warn!(error = %e, "could not answer server request");
            }
            let mut event = normalize(&self.cfg.bridge_id, method, &params);
            event.raw =
                Some(json!({ "id": id, "method": method, "params": params, "refused": true }));
            self.emit(event).await;
            return;
        };
        let request_id = format!("req_{}", uuid::Uuid::now_v7().simple());
        let turn_id = params
            .get("turnId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let request = PendingRequest {
            id: request_id.clone(),
            session_id: thread.clone(),
            turn_id: turn_id.clone(),
            item_id: params
                .get("itemId")
                .or_else(|| params.get("callId"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            kind,
            method: method.to_owned(),
            available_decisions: params
                .get("availableDecisions")
                .and_then(Value::as_array)
                .cloned(),
            params: params.clone(),
            opened_at: Utc::now(),
        };
        if let Ok(mut t) = self.tracker.lock() {
            let held = HeldRequest {
                rpc_id: id.clone(),
                session_id: thread.clone(),
                turn_id,
                instance: instance.clone(),
            };
            t.requests.insert(request_id.clone(), held);
        }
        if let Some(f) = &self.inflight {
            f.request_opened(&request_id, &thread).await;
        }
        let raw = json!({ "id": id, "method": method, "params": params });
        self.emit(
            Event::new(Scope::Session, thread, EventBody::RequestOpened { request }).with_raw(raw),
        )
        .await;
    }
}
