//! Operator pass-through (`cm.v1.runtime.call`) and the capability probe, against the real
//! app-server running offline on the scripted model provider (no account, no network).

use std::time::Duration;

use cm_e2e::TestStack;
use cm_schemas::commands::verb;
use cm_schemas::operator::{RuntimeCall, RuntimeCallResult};
use cm_schemas::queue::Empty;
use cm_schemas::runtime::RuntimeStatus;
use cm_schemas::subjects::{self, prefix};
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Value, json};

use crate::script;

/// Allowed for this stack only: a method the pinned runtime does not have.
const MISSING_METHOD: &str = "thread/doesNotExist";

async fn call(bus: &cm_bus::Bus, method: &str, params: Value) -> Result<Value, BusError> {
    let req = RuntimeCall {
        method: method.to_owned(),
        params,
    };
    let subject = subjects::command(prefix::RUNTIME, verb::RUNTIME_CALL);
    bus.request::<_, RuntimeCallResult>(&subject, &req, Duration::from_secs(30))
        .await
        .map(|r| r.result)
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_methods_pass_through_and_the_probe_reports_capabilities() {
    let stack = TestStack::start_with(script(), |cfg| {
        cfg.extra_operator_methods = vec![MISSING_METHOD.to_owned()];
    })
    .await
    .unwrap();
    let bus = stack.bus().await.unwrap();

    // The probe ran before the runtime was reported initialized. Offline every probed method
    // answers; `account/rateLimits/read` with an authentication error, which still counts.
    let status: RuntimeStatus = bus
        .request(
            &subjects::command(prefix::RUNTIME, verb::STATUS),
            &Empty {},
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert!(status.initialized);
    assert_eq!(
        status.capabilities,
        [
            "model/list",
            "account/read",
            "config/read",
            "configRequirements/read",
            "mcpServerStatus/list",
            "skills/list",
            "app/list",
            "experimentalFeature/list",
            "account/rateLimits/read",
        ]
    );

    // model/list: the runtime's bundled catalogue, even offline.
    let models = call(&bus, "model/list", json!({})).await.unwrap();
    let data = models["data"].as_array().expect("model/list data");
    assert!(!data.is_empty(), "{models}");
    assert!(data.iter().all(|m| m["id"].is_string()), "{models}");

    // config/read: the effective config, with the mock provider of the test's CODEX_HOME.
    let config = call(&bus, "config/read", json!({})).await.unwrap();
    assert_eq!(config["config"]["model_provider"], "mock", "{config}");
    assert_eq!(config["config"]["model"], "mock-model");
    assert_eq!(
        config["config"]["model_providers"]["mock"]["base_url"],
        stack.mock.base_url()
    );

    // No params at all is sent as `{}`, which every method accepts.
    let req = call(&bus, "configRequirements/read", Value::Null)
        .await
        .unwrap();
    assert!(req.get("requirements").is_some(), "{req}");

    // account/read with an API-key provider and no login: no account, no OpenAI auth needed.
    let account = call(&bus, "account/read", json!({})).await.unwrap();
    assert_eq!(account["account"], Value::Null, "{account}");
    assert_eq!(account["requiresOpenaiAuth"], false, "{account}");

    // account/rateLimits/read needs a ChatGPT login: the runtime calls the request invalid
    // (-32600), which comes back as a validation error on `params` with its message.
    let err = call(&bus, "account/rateLimits/read", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation, "{err}");
    assert_eq!(err.details["field"], "params", "{err}");
    assert!(err.message.contains("authentication required"), "{err}");
    assert_eq!(err.details["rpcCode"], -32600);

    // Thread methods exist in the runtime but are not operator methods.
    let err = call(&bus, "thread/start", json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation, "{err}");
    assert_eq!(err.details["field"], "method");

    // Allowed by configuration but missing from the runtime: 501 territory.
    let err = call(&bus, MISSING_METHOD, json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSupported, "{err}");
    assert_eq!(err.details["method"], MISSING_METHOD);

    // Params the runtime rejects as malformed are the caller's mistake.
    let err = call(&bus, "config/read", json!({ "cwd": 5 }))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation, "{err}");
    assert_eq!(err.details["field"], "params");
}
