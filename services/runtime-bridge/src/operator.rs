//! `cm.v1.runtime.call`: operator methods passed through to app-server as they are.
//!
//! Only [`OPERATOR_METHODS`] (plus the configured `extra_operator_methods`) are forwarded, so
//! this endpoint can never start, steer or delete a thread behind the session store's back.
//! Errors are mapped for callers: a method the runtime lacks is `not_supported` (HTTP 501), a
//! request the runtime rejects as invalid (JSON-RPC -32600 "invalid request" — malformed
//! params, an unknown cursor, a missing login — or -32602 "invalid params") is `validation`
//! on `params` with the runtime's message (HTTP 400), the rest as every other command maps
//! them ([`rpc_error`]). Only this pass-through maps -32600 so: the session service reads
//! some of the lifecycle commands' -32600 refusals as `runtime_error` ("already archived").

use std::sync::Arc;

use cm_schemas::operator::{OPERATOR_METHODS, RuntimeCall, RuntimeCallResult};
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};

use crate::appserver::RpcError;
use crate::commands::{instance, one_line, rpc_error};
use crate::paths::{self, Must};
use crate::supervisor::Runtime;

/// The params of operator methods that name paths on the runtime's machine (a string, or a list
/// of strings when the name ends in `[]`), checked by [`paths::checked`] before the call.
const PATH_PARAMS: &[(&str, &str, Must)] = &[
    ("command/exec", "cwd", Must::BeADirectory),
    ("config/read", "cwd", Must::BeValid),
    ("config/value/write", "filePath", Must::BeValid),
    ("config/batchWrite", "filePath", Must::BeValid),
    ("skills/list", "cwds[]", Must::BeValid),
    ("feedback/upload", "extraLogFiles[]", Must::BeValid),
];

/// Forwards one allowed operator method with the bridge's call time-out.
#[tracing::instrument(skip_all, fields(rpc.method = %req.method))]
pub async fn call(rt: Arc<Runtime>, req: RuntimeCall) -> Result<RuntimeCallResult, BusError> {
    let allowed = OPERATOR_METHODS.contains(&req.method.as_str())
        || rt.cfg.extra_operator_methods.contains(&req.method);
    if !allowed {
        return Err(BusError::validation(
            "method",
            format!(
                "{:?} is not an operator method; allowed: {}",
                req.method,
                OPERATOR_METHODS.join(", ")
            ),
        ));
    }
    // Every params-taking method of the protocol accepts `{}`, none accepts a missing `params`.
    let mut params = match req.params {
        Value::Null => json!({}),
        params => params,
    };
    check_paths(&req.method, &mut params)?;
    let inst = instance(&rt).await?;
    let result = inst
        .server
        .call(&req.method, params, rt.cfg.call_timeout)
        .await
        .map_err(operator_error)?;
    Ok(RuntimeCallResult { result })
}

/// Checks (and normalizes in place) the path params of `method`; other params are left to the
/// runtime. A param of the wrong JSON type is left to the runtime too (it answers `validation`).
fn check_paths(method: &str, params: &mut Value) -> Result<(), BusError> {
    for (m, name, must) in PATH_PARAMS {
        if *m != method {
            continue;
        }
        let (key, list) = match name.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (*name, false),
        };
        let field = format!("params.{key}");
        match params.get_mut(key) {
            Some(Value::String(path)) if !list => *path = paths::checked(&field, path, *must)?,
            Some(Value::Array(items)) if list => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::String(path) = item {
                        *path = paths::checked(&format!("{field}[{i}]"), path, *must)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the runtime said it has no such method. JSON-RPC says -32601; app-server (0.169.0
/// and 0.171.0) instead answers -32600 "Invalid request: unknown variant `<method>`, expected
/// one of ..." because the method name fails to parse into its request enum. Both mean the same.
fn operator_error(e: RpcError) -> BusError {
    match &e {
        RpcError::Server { method, .. } if e.is_method_not_found() => BusError::new(
            ErrorCode::NotSupported,
            format!("the runtime does not support {method}"),
        )
        .with_details(json!({ "method": method })),
        RpcError::Server {
            code: code @ (-32600 | -32602),
            message,
            method,
            data,
        } => BusError::validation("params", format!("{method}: {}", one_line(message)))
            .with_details(json!({ "field": "params", "rpcCode": code, "data": data })),
        _ => rpc_error(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn server_error(code: i64, message: &str) -> RpcError {
        RpcError::Server {
            method: "thread/doesNotExist".to_owned(),
            code,
            message: message.to_owned(),
            data: None,
        }
    }

    #[test]
    fn path_params_are_checked_and_normalized() {
        let mut ok = json!({"command": ["ls"], "cwd": "/"});
        check_paths("command/exec", &mut ok).unwrap();
        let mut dotted = json!({"cwds": ["/a/./b", "/c"]});
        check_paths("skills/list", &mut dotted).unwrap();
        assert_eq!(dotted, json!({"cwds": ["/a/b", "/c"]}));

        let mut escape = json!({"filePath": "/etc/../root/.codex/config.toml"});
        let err = check_paths("config/value/write", &mut escape).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.details["field"], "params.filePath");
        let mut relative = json!({"extraLogFiles": ["/ok", "rel.log"]});
        let err = check_paths("feedback/upload", &mut relative).unwrap_err();
        assert_eq!(err.details["field"], "params.extraLogFiles[1]");
        let mut missing = json!({"cwd": "/no/such/dir/cm-test"});
        assert!(check_paths("command/exec", &mut missing).is_err());
        // Other methods' params are not paths.
        let mut other = json!({"cwd": "relative"});
        check_paths("model/list", &mut other).unwrap();
    }

    #[test]
    fn every_path_param_belongs_to_an_operator_method() {
        for (method, _, _) in PATH_PARAMS {
            assert!(OPERATOR_METHODS.contains(method), "{method}");
        }
    }

    #[test]
    fn unknown_methods_are_not_supported_in_both_spellings() {
        let seen_in_0_169 = server_error(
            -32600,
            "Invalid request: unknown variant `thread/doesNotExist`, expected one of `initialize`",
        );
        for e in [seen_in_0_169, server_error(-32601, "Method not found")] {
            assert!(e.is_method_not_found());
            assert_eq!(operator_error(e).code, ErrorCode::NotSupported);
        }
    }

    #[test]
    fn malformed_params_are_validation_errors_and_other_failures_runtime_errors() {
        let bad = server_error(
            -32600,
            "Invalid request: invalid type: integer `5`, expected a string",
        );
        assert!(!bad.is_method_not_found());
        let err = operator_error(bad);
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.details["field"], "params");

        // Any request the runtime calls invalid is the caller's to fix, with its message.
        let cursor = server_error(-32600, "invalid cursor: ");
        let err = operator_error(cursor);
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.details["rpcCode"], -32600);
        assert!(err.message.contains("invalid cursor"), "{}", err.message);
        let params = server_error(-32602, "Invalid params");
        assert_eq!(operator_error(params).code, ErrorCode::Validation);

        // The runtime echoes input; the message stays one line (it travels in a NATS header).
        let echoed = operator_error(server_error(-32600, "invalid login id: a\r\nb\u{0}"));
        assert!(
            !echoed.message.chars().any(char::is_control),
            "{}",
            echoed.message
        );
        assert!(echoed.message.contains("a\\r\\nb"), "{}", echoed.message);

        let internal = server_error(-32603, "failed to upload feedback");
        assert_eq!(operator_error(internal).code, ErrorCode::RuntimeError);
    }

    #[test]
    fn commands_keep_runtime_errors_but_a_turn_already_over_is_no_active_turn() {
        let over = server_error(-32600, "no active turn to steer");
        assert_eq!(rpc_error(over).code, ErrorCode::NoActiveTurn);
        let review = server_error(-32600, "cannot steer a review turn");
        assert_eq!(rpc_error(review).code, ErrorCode::Conflict);
        // The session service reads these by message as runtime_error.
        let archived = server_error(-32600, "no rollout found for thread id x");
        assert_eq!(rpc_error(archived).code, ErrorCode::RuntimeError);
        // What the runtime could not parse ran nothing: the caller's to fix.
        let unparsed = server_error(-32600, "Invalid request: unknown variant `on-failure`");
        let err = rpc_error(unparsed);
        assert_eq!(
            (err.code, &err.details["field"]),
            (ErrorCode::Validation, &json!("params"))
        );
    }
}
