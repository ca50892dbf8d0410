//! The OpenAPI document: committed copy up to date, every operation complete (id, summary,
//! tag, success response with schema and example, request body with schema and example), and
//! every example valid against its schema.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.json")
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            ops.push((method.clone(), path.clone(), op.clone()));
        }
    }
    ops
}

/// Resolves a `#/components/...` reference.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => v,
    }
}

#[test]
fn the_committed_document_is_up_to_date() {
    let want = cm_gateway::render_openapi();
    let have = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        have == want,
        "schemas/openapi.json is stale: run `cargo run -p cm-gateway --bin cm-gen-openapi`"
    );
}

#[test]
fn every_operation_is_complete() {
    let doc = cm_gateway::openapi_document();
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    assert!(ops.len() >= 60, "only {} operations", ops.len());
    let mut ids = BTreeSet::new();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for (method, path, op) in &ops {
        let at = format!("{method} {path}");
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{at}: no operationId");
        assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: no summary"
        );
        let tag = op["tags"][0].as_str().unwrap_or_default();
        assert!(tags.contains(tag), "{at}: tag {tag:?} is not declared");
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}"));
        let success: Vec<_> = responses
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            .collect();
        assert!(!success.is_empty(), "{at}: no success response");
        for (status, response) in success {
            let Some(content) = deref(&doc, response)["content"].as_object() else {
                assert_eq!(status, "204", "{at}: {status} without content");
                continue;
            };
            for (media, m) in content {
                assert!(
                    m["schema"].is_object(),
                    "{at}: {status} {media} has no schema"
                );
                assert!(
                    m.get("example").is_some(),
                    "{at}: {status} {media} has no example"
                );
            }
        }
        if let Some(body) = op.get("requestBody") {
            let m = &body["content"]["application/json"];
            assert!(m["schema"].is_object(), "{at}: request body without schema");
            assert!(
                m.get("example").is_some(),
                "{at}: request body without example"
            );
        }
        // Authentication is documented: public operations say so, the others answer 401.
        let public = op["security"] == json!([]);
        assert_eq!(
            public,
            responses.get("401").is_none(),
            "{at}: 401 vs security"
        );
        if method == "post" {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                params.iter().any(|p| p["name"] == "Idempotency-Key"),
                "{at}: no Idempotency-Key"
            );
        }
    }
}

#[test]
fn every_reference_resolves_and_every_example_fits_its_schema() {
    let doc = cm_gateway::openapi_document();
    // Every `$ref` in the document points at something.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.push(r.to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        assert!(
            doc.pointer(r.trim_start_matches('#')).is_some(),
            "dangling {r}"
        );
    }
    // Each JSON example is validated against its schema, with the whole document as the
    // resource its `#/components/...` references resolve in.
    let mut checked = 0;
    let mut check = |at: &str, media: &Value| {
        let (Some(schema), Some(example)) = (media.get("schema"), media.get("example")) else {
            return;
        };
        let mut root = doc.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        root["allOf"] = json!([schema]);
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{at}: schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(example)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{at}: example does not fit: {errors:#?}");
        checked += 1;
    };
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        if let Some(m) = op.pointer("/requestBody/content/application~1json") {
            check(&format!("{at} request"), m);
        }
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            if let Some(m) = deref(&doc, response).pointer("/content/application~1json") {
                check(&format!("{at} {status}"), m);
            }
        }
    }
    assert!(checked > 100, "only {checked} examples checked");
}
