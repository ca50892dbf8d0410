//! `cm.v1.runtime.request.respond`: delivers a decision to the JSON-RPC request the runtime is
//! waiting on. Exactly one response is ever written: the request leaves the tracker before the
//! write, under the ordering lock, so a second respond finds nothing.

use std::sync::Arc;

use cm_schemas::request::{RequestOutcome, RespondRequest};
use cm_schemas::{BusError, ErrorCode, Event, EventBody, Scope};
use serde_json::json;

use crate::supervisor::Runtime;

pub async fn respond(
    rt: Arc<Runtime>,
    req: RespondRequest,
) -> Result<cm_schemas::thread::RuntimeResult, BusError> {
    let _order = rt.order.lock().await;
    let held = rt
        .tracker
        .lock()
        .ok()
        .and_then(|mut t| t.requests.remove(&req.request_id));
    let Some(held) = held else {
        return Err(BusError::new(
            ErrorCode::Gone,
            format!("request {} is not pending", req.request_id),
        )
        .with_details(json!({ "requestId": req.request_id })));
    };
    let current = rt.current();
    if !current.is_some_and(|c| Arc::ptr_eq(&c, &held.instance)) {
        rt.expire(&held.session_id, &req.request_id, "runtime_exited")
            .await;
        return Err(BusError::new(
            ErrorCode::Gone,
            "the runtime that asked has exited",
        ));
    }
    if let Err(e) = held
        .instance
        .server
        .respond(held.rpc_id.clone(), Ok(req.response.clone()))
        .await
    {
        rt.expire(&held.session_id, &req.request_id, "runtime_exited")
            .await;
        return Err(BusError::unavailable(
            "runtime",
            format!("could not answer the runtime: {e}"),
        ));
    }
    let body = EventBody::RequestResolved {
        request_id: req.request_id.clone(),
        outcome: RequestOutcome::Resolved,
        response: Some(req.response),
        decided_by: Some(req.decided_by),
        reason: None,
    };
    rt.emit(Event::new(Scope::Session, held.session_id, body))
        .await;
    if let Some(f) = &rt.inflight {
        f.request_ended(&req.request_id).await;
    }
    Ok(cm_schemas::thread::RuntimeResult { result: json!({}) })
}
