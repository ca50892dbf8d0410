//! A minimal instance of a JSON Schema: required properties only, the first of every choice,
//! `const`/`enum`/`default` where given. Used for examples of bodies we pass through unchanged.

use serde_json::{Map, Value, json};

/// Deep enough for every pinned app-server result; deeper nesting is cut with `null`.
const MAX_DEPTH: usize = 12;

pub fn instance(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
        return instance(doc, target, depth + 1);
    }
    if let Some(v) = schema.get("const") {
        return v.clone();
    }
    if let Some(v) = schema.get("default").filter(|v| !v.is_null()) {
        return v.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for choice in ["oneOf", "anyOf"] {
        if let Some(options) = schema[choice].as_array() {
            // Prefer a branch that is not `null`: an example should show a value.
            let pick = options
                .iter()
                .find(|o| o["type"] != "null")
                .or(options.first());
            if let Some(o) = pick {
                return instance(doc, o, depth + 1);
            }
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        let parts: Vec<Value> = all.iter().map(|p| instance(doc, p, depth + 1)).collect();
        // Objects merge; anything else (a `$ref` to a string type, say) is the value itself.
        if !parts.iter().all(Value::is_object) {
            return parts
                .into_iter()
                .find(|p| !p.is_object())
                .unwrap_or_default();
        }
        let mut merged = Map::new();
        parts
            .into_iter()
            .filter_map(|p| match p {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .for_each(|m| merged.extend(m));
        return Value::Object(merged);
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => return json!({}),
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    let prop = &schema["properties"][name];
                    out.insert(name.to_owned(), instance(doc, prop, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "string" => json!("string"),
        "integer" => json!(schema["minimum"].as_i64().unwrap_or(0)),
        "number" => json!(schema["minimum"].as_f64().unwrap_or(0.0)),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}
