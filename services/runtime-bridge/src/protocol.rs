//! The app-server methods this bridge depends on, checked against the pinned protocol schema
//! (`schemas/codex-app-server/ClientRequest.json`) by the tests below, so a runtime upgrade that
//! renames or drops one fails a test instead of a user's request.

/// Methods the bridge itself calls (operator pass-through and the probe have their own lists:
/// `cm_schemas::operator::OPERATOR_METHODS`, [`crate::capabilities::PROBE_METHODS`]).
pub const CALLED_METHODS: &[&str] = &[
    "initialize",
    "thread/start",
    "thread/resume",
    "thread/list",
    "turn/start",
    "turn/steer",
    "turn/interrupt",
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::CALLED_METHODS;
    use crate::capabilities::PROBE_METHODS;
    use cm_schemas::operator::OPERATOR_METHODS;

    fn manifest_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every `method` enum value of `ClientRequest.json`'s variants.
    fn pinned_client_methods() -> BTreeSet<String> {
        let path = manifest_dir().join("../../schemas/codex-app-server/ClientRequest.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let schema: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing ClientRequest: {e}"));
        let variants = schema["oneOf"].as_array().cloned().unwrap_or_default();
        let methods: BTreeSet<String> = variants
            .iter()
            .filter_map(|v| v.pointer("/properties/method/enum")?.as_array().cloned())
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        assert!(
            methods.len() > 50,
            "ClientRequest.json lists too few methods"
        );
        methods
    }

    #[test]
    fn every_method_the_bridge_uses_is_in_the_pinned_protocol() {
        let pinned = pinned_client_methods();
        let used = CALLED_METHODS
            .iter()
            .chain(PROBE_METHODS)
            .chain(OPERATOR_METHODS);
        let missing: Vec<&&str> = used.filter(|m| !pinned.contains(**m)).collect();
        assert!(
            missing.is_empty(),
            "methods not in schemas/codex-app-server/ClientRequest.json: {missing:?}"
        );
        assert!(
            PROBE_METHODS.iter().all(|m| OPERATOR_METHODS.contains(m)),
            "every probed method must also be an operator method"
        );
    }

    /// Keeps [`CALLED_METHODS`] honest: every literal method passed to `.call(` in the bridge's
    /// source must be listed there.
    #[test]
    fn called_methods_lists_every_literal_call_in_the_source() {
        let mut literals = BTreeSet::new();
        collect_call_literals(&manifest_dir().join("src"), &mut literals);
        let unlisted: Vec<&String> = literals
            .iter()
            .filter(|m| !CALLED_METHODS.contains(&m.as_str()))
            .collect();
        assert!(
            unlisted.is_empty(),
            "add {unlisted:?} to protocol::CALLED_METHODS"
        );
    }

    fn collect_call_literals(dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(Result::ok).map(|e| e.path()) {
            if path.is_dir() {
                collect_call_literals(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("protocol.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for rest in text.split(".call(").skip(1) {
                    let rest = rest.trim_start();
                    if let Some(lit) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                        out.insert(lit.to_owned());
                    }
                }
            }
        }
    }
}
