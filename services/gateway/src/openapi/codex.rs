//! The pinned codex app-server schemas the system routes pass through, as OpenAPI components
//! named `codex.<Name>`: the named definitions and everything they refer to, taken from the
//! protocol bundle committed under `schemas/codex-app-server/` (itself checked for drift
//! against the installed runtime).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

const BUNDLE: &str =
    include_str!("../../../../schemas/codex-app-server/codex_app_server_protocol.v2.schemas.json");

/// `codex.<Name>` components for `names` and their dependencies, plus `codex.<Name>.body`
/// variants without the fields `body_without` says path parameters fill.
pub fn components(
    names: &[&str],
    body_without: impl Fn(&str) -> Vec<&'static str>,
) -> Result<Map<String, Value>, String> {
    let bundle: Value = serde_json::from_str(BUNDLE).map_err(|e| e.to_string())?;
    let defs = bundle["definitions"]
        .as_object()
        .ok_or("the app-server bundle has no definitions")?;
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let def = defs
            .get(&name)
            .ok_or_else(|| format!("the app-server bundle has no {name}"))?;
        collect_refs(def, &mut todo);
    }
    let mut out = Map::new();
    for name in seen {
        let mut def = defs[&name].clone();
        rewrite_refs(&mut def);
        if let Some(obj) = def.as_object_mut() {
            obj.remove("$schema");
        }
        let path_fields = body_without(&name);
        if !path_fields.is_empty() {
            out.insert(format!("codex.{name}.body"), without(&def, &path_fields));
        }
        out.insert(format!("codex.{name}"), def);
    }
    Ok(out)
}

fn collect_refs(v: &Value, into: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str)
                && let Some(name) = r.strip_prefix("#/definitions/")
            {
                into.push(name.to_owned());
            }
            m.values().for_each(|x| collect_refs(x, into));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, into)),
        _ => {}
    }
}

fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/definitions/")
            {
                *r = format!("#/components/schemas/codex.{name}");
            }
            m.values_mut().for_each(rewrite_refs);
        }
        Value::Array(a) => a.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The schema without `fields` in its properties or required list.
fn without(def: &Value, fields: &[&str]) -> Value {
    let mut def = def.clone();
    if let Some(props) = def.get_mut("properties").and_then(Value::as_object_mut) {
        fields.iter().for_each(|f| {
            props.remove(*f);
        });
    }
    if let Some(req) = def.get_mut("required").and_then(Value::as_array_mut) {
        req.retain(|r| !fields.iter().any(|f| r == f));
    }
    def
}
