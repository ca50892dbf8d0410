//! Bus commands served by the bridge (`cm.v1.runtime.*`).

use std::sync::Arc;
use std::time::Duration;

use cm_schemas::controls::SandboxMode;
use cm_schemas::runtime::{RuntimeStatus, ThreadStart, ThreadStarted, TurnStart, TurnStarted};
use cm_schemas::thread::TurnOverrides;
use cm_schemas::{BusError, ErrorCode, queue::Empty};
use serde_json::{Value, json};

use crate::appserver::RpcError;
use crate::instance::Instance;
use crate::paths::{self, Must};
use crate::supervisor::Runtime;

/// How long a command waits for a (re)starting runtime before answering `unavailable`.
const READY_WAIT: Duration = Duration::from_secs(15);

pub(crate) async fn instance(rt: &Runtime) -> Result<Arc<Instance>, BusError> {
    rt.instance(READY_WAIT)
        .await
        .ok_or_else(|| BusError::unavailable("runtime", "codex app-server is not running"))
}

pub async fn thread_start(rt: Arc<Runtime>, req: ThreadStart) -> Result<ThreadStarted, BusError> {
    let cwd = match &req.cwd {
        Some(cwd) => paths::checked("cwd", cwd, Must::BeADirectory)?,
        None => rt.cfg.default_cwd.to_string_lossy().into_owned(),
    };
    let inst = instance(&rt).await?;
    let mut params = json!({ "cwd": cwd });
    if let Some(model) = &req.model {
        params["model"] = json!(model);
    }
    if let Some(policy) = &rt.cfg.approval_policy {
        params["approvalPolicy"] = json!(policy);
    }
    if let Some(sandbox) = &rt.cfg.sandbox {
        params["sandbox"] = json!(sandbox);
    }
    let result = inst
        .server
        .call("thread/start", params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    let thread_id = result
        .pointer("/thread/id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            BusError::new(
                ErrorCode::RuntimeError,
                "thread/start returned no thread id",
            )
        })?
        .to_owned();
    inst.mark_loaded(&thread_id);
    Ok(ThreadStarted {
        thread_id,
        cwd: result
            .get("cwd")
            .and_then(Value::as_str)
            .unwrap_or(&cwd)
            .to_owned(),
        model: result
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned),
        raw: result,
    })
}

pub async fn turn_start(rt: Arc<Runtime>, req: TurnStart) -> Result<TurnStarted, BusError> {
    if req.text.trim().is_empty() {
        return Err(BusError::validation(
            "text",
            "message text must not be empty",
        ));
    }
    let mut params = json!({
        "threadId": req.thread_id,
        "input": [{ "type": "text", "text": req.text, "text_elements": [] }],
    });
    apply_overrides(&mut params, &req.overrides)?;
    let inst = instance(&rt).await?;
    // A thread not loaded in this process (after a respawn or a bridge restart) is resumed first.
    if !inst.is_loaded(&req.thread_id) {
        inst.server
            .call(
                "thread/resume",
                json!({ "threadId": req.thread_id }),
                rt.cfg.call_timeout,
            )
            .await
            .map_err(rpc_error)?;
        inst.mark_loaded(&req.thread_id);
    }
    let result = inst
        .server
        .call("turn/start", params, rt.cfg.call_timeout)
        .await
        .map_err(rpc_error)?;
    let turn_id = result
        .pointer("/turn/id")
        .and_then(Value::as_str)
        .ok_or_else(|| BusError::new(ErrorCode::RuntimeError, "turn/start returned no turn id"))?
        .to_owned();
    rt.turn_started(&req.thread_id, &turn_id).await;
    Ok(TurnStarted {
        thread_id: req.thread_id,
        turn_id,
    })
}

pub async fn status(rt: Arc<Runtime>, _req: Empty) -> Result<RuntimeStatus, BusError> {
    Ok(rt.status())
}

/// The runtime's message on one line: it may echo a caller's input (an id, a cursor) with
/// control characters in it, and a bus error's message travels in a NATS header too, where a
/// CR or LF has no place. Control characters are written escaped (`\r`, `\u{0}`).
pub(crate) fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Maps a JSON-RPC failure to a bus error. A request the runtime could not even parse
/// (-32600 "Invalid request: ..." — an unknown variant, a wrong type — or -32602) ran nothing
/// and is the caller's to fix: `validation` on `params` with the runtime's message. The
/// runtime's other -32600 refusals stay `runtime_error`: the session service reads some of
/// them by message ("no rollout found").
pub(crate) fn rpc_error(e: RpcError) -> BusError {
    match &e {
        RpcError::Server {
            code,
            message,
            method,
            data,
        } if *code == -32602 || (*code == -32600 && message.starts_with("Invalid request")) => {
            BusError::validation("params", format!("{method}: {}", one_line(message)))
                .with_details(json!({ "field": "params", "rpcCode": code, "data": data }))
        }
        // A steer or interrupt that finds the turn already over (it ended between the session
        // service's check and the call): the same answer as when the session knew it.
        RpcError::Server {
            code: -32600,
            message,
            method,
            ..
        } if message.contains("no active turn") => BusError::new(
            ErrorCode::NoActiveTurn,
            format!("{method}: {}", one_line(message)),
        ),
        // The runtime has not loaded the session's thread (no turn yet, or not resumed since a
        // restart): a state of the session, not a runtime failure.
        RpcError::Server {
            code: -32600,
            message,
            method,
            data,
        } if message.contains("thread not found") => BusError::new(
            ErrorCode::Conflict,
            format!(
                "{method}: {}: the session has no loaded runtime thread yet (send it a message first)",
                one_line(message)
            ),
        )
        .with_details(json!({ "reason": "thread_not_loaded", "data": data })),
        // The runtime keeps the session archived: unarchive it first.
        RpcError::Server {
            code: -32600,
            message,
            method,
            data,
        } if message.contains("is archived") => BusError::new(
            ErrorCode::Conflict,
            format!("{method}: {}", one_line(message)),
        )
        .with_details(json!({ "reason": "archived", "data": data })),
        // The running turn takes no input (a review turn): the turn's state forbids it.
        RpcError::Server {
            code: -32600,
            message,
            method,
            data,
        } if message.contains("cannot steer") => BusError::new(
            ErrorCode::Conflict,
            format!("{method}: {}", one_line(message)),
        )
        .with_details(json!({ "reason": "not_steerable", "data": data })),
        RpcError::Server {
            code: -32601,
            method,
            ..
        } => BusError::new(
            ErrorCode::NotSupported,
            format!("the runtime does not support {method}"),
        ),
        RpcError::Server {
            code,
            message,
            data,
            method,
        } => BusError::new(
            ErrorCode::RuntimeError,
            format!("{method}: {}", one_line(message)),
        )
        .with_details(json!({ "rpcCode": code, "data": data })),
        RpcError::Timeout { .. } => BusError::new(ErrorCode::Timeout, e.to_string()),
        RpcError::Exited | RpcError::Io(_) => BusError::unavailable("runtime", e.to_string()),
    }
}

/// Per-turn overrides in `turn/start`'s vocabulary.
fn apply_overrides(params: &mut Value, o: &TurnOverrides) -> Result<(), BusError> {
    let c = &o.controls;
    if let Some(model) = &c.model {
        params["model"] = json!(model);
    }
    if let Some(effort) = &c.effort {
        params["effort"] = json!(effort);
    }
    if let Some(policy) = &c.approval_policy {
        if !policy.is_known() {
            return Err(BusError::validation(
                "approvalPolicy",
                "approvalPolicy must be untrusted, on-request, on-failure or never",
            ));
        }
        params["approvalPolicy"] = json!(policy);
    }
    if let Some(cwd) = &o.cwd {
        params["cwd"] = json!(paths::checked("cwd", cwd, Must::BeADirectory)?);
    }
    let network = c.network_access.unwrap_or(false);
    match &c.sandbox {
        // Network access alone would need a sandbox type; choosing one here could widen a
        // read-only thread, so it only applies together with `sandbox`.
        None if c.network_access.is_some() => {
            tracing::warn!("networkAccess without sandbox ignored for this turn");
        }
        None => {}
        Some(SandboxMode::ReadOnly) => {
            params["sandboxPolicy"] = json!({ "type": "readOnly", "networkAccess": network })
        }
        Some(SandboxMode::WorkspaceWrite) => {
            params["sandboxPolicy"] = json!({ "type": "workspaceWrite", "networkAccess": network })
        }
        Some(SandboxMode::DangerFullAccess) => {
            params["sandboxPolicy"] = json!({ "type": "dangerFullAccess" })
        }
        Some(SandboxMode::Unknown(_)) => {
            return Err(BusError::validation(
                "sandbox",
                "sandbox must be read-only, workspace-write or danger-full-access",
            ));
        }
    }
    Ok(())
}
