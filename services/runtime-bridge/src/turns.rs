//! Turn and thread operations beyond start: steer, interrupt, the thread lifecycle and list.

use std::sync::Arc;

use cm_schemas::BusError;
use cm_schemas::thread::{
    RuntimeResult, ThreadCommand, ThreadList, ThreadOp, TurnInterrupt, TurnSteer,
};
use serde_json::{Value, json};

use crate::commands::{instance, rpc_error};
use crate::supervisor::Runtime;

pub async fn steer(rt: Arc<Runtime>, req: TurnSteer) -> Result<RuntimeResult, BusError> {
    if req.text.trim().is_empty() {
        return Err(BusError::validation("text", "steer text must not be empty"));
    }
    let inst = instance(&rt).await?;
    let params = json!({
        "threadId": req.thread_id,
        "expectedTurnId": req.turn_id,
        "input": [{ "type": "text", "text": req.text, "text_elements": [] }],
    });
    let result = inst
        .server
        .call("turn/steer", params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    Ok(RuntimeResult { result })
}

pub async fn interrupt(rt: Arc<Runtime>, req: TurnInterrupt) -> Result<RuntimeResult, BusError> {
    let inst = instance(&rt).await?;
    let params = json!({ "threadId": req.thread_id, "turnId": req.turn_id });
    let result = inst
        .server
        .call("turn/interrupt", params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    Ok(RuntimeResult { result })
}

pub async fn thread_op(rt: Arc<Runtime>, req: ThreadCommand) -> Result<RuntimeResult, BusError> {
    let inst = instance(&rt).await?;
    let thread = req.thread_id.clone();
    let mut params = json!({ "threadId": thread });
    match &req.op {
        ThreadOp::Rename { name } => {
            if name.trim().is_empty() {
                return Err(BusError::validation("name", "name must not be empty"));
            }
            params["name"] = json!(name);
        }
        ThreadOp::Revert { before_turn_id } => params["beforeTurnId"] = json!(before_turn_id),
        ThreadOp::Read { include_turns } => params["includeTurns"] = json!(include_turns),
        ThreadOp::Review { target } => params["target"] = target.clone(),
        _ => {}
    }
    // Operations on an existing thread need it loaded in this process.
    let needs_loaded = !matches!(
        req.op,
        ThreadOp::Resume | ThreadOp::Read { .. } | ThreadOp::Unarchive | ThreadOp::Delete
    );
    if needs_loaded && !inst.is_loaded(&thread) {
        inst.server
            .call(
                "thread/resume",
                json!({ "threadId": thread }),
                rt.cfg.call_timeout,
            )
            .await
            .map_err(rpc_error)?;
        inst.mark_loaded(&thread);
    }
    let result = inst
        .server
        .call(req.op.method(), params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    if matches!(req.op, ThreadOp::Resume) {
        inst.mark_loaded(&thread);
    }
    Ok(RuntimeResult { result })
}

pub async fn thread_list(rt: Arc<Runtime>, req: ThreadList) -> Result<RuntimeResult, BusError> {
    let inst = instance(&rt).await?;
    let params = if req.params.is_null() {
        json!({})
    } else {
        req.params
    };
    let result: Value = inst
        .server
        .call("thread/list", params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    Ok(RuntimeResult { result })
}
