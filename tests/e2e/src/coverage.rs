//! Which documented operations the test suite exercised. When `CM_API_COVERAGE_DIR` is set,
//! every gateway a test starts writes its access log there (`scripts/test.sh` sets it for the
//! end-to-end, CLI and browser tests); [`report`] then matches the logged routes against the
//! operations of `schemas/openapi.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub const DIR_ENV: &str = "CM_API_COVERAGE_DIR";

/// A fresh access log file for a gateway on `port`, when coverage is being recorded.
pub fn access_log_file(port: u16) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(DIR_ENV)?);
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(format!("e2e-{}-{port}.jsonl", std::process::id())))
}

/// `(METHOD, path template, operationId)` of every operation in an OpenAPI document.
pub fn operations(doc: &Value) -> Vec<(String, String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            ops.push((method.to_uppercase(), path.clone(), id));
        }
    }
    ops.sort();
    ops
}

/// `(METHOD, route)` pairs that reached a handler: past authentication (not 401) on a
/// matched route, from every `*.jsonl` access log in `dir`.
pub fn exercised(dir: &Path) -> std::io::Result<BTreeSet<(String, String)>> {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let (Some(m), Some(r)) = (v["method"].as_str(), v["route"].as_str())
                && v["status"] != 401
            {
                seen.insert((m.to_owned(), r.to_owned()));
            }
        }
    }
    Ok(seen)
}

/// The operations no logged request reached.
pub fn missing(doc: &Value, dir: &Path) -> std::io::Result<Vec<(String, String, String)>> {
    let seen = exercised(dir)?;
    Ok(operations(doc)
        .into_iter()
        .filter(|(m, p, _)| !seen.contains(&(m.clone(), p.clone())))
        .collect())
}
