//! Fails when a committed JSON Schema differs from what the Rust types generate.
//! Regenerate with: `cargo run -p cm-schemas --bin cm-gen-schemas`.

use std::path::PathBuf;

#[test]
fn committed_json_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("json");
    let mut stale = Vec::new();
    let mut expected = std::collections::BTreeSet::new();
    for (name, schema) in cm_schemas::all_schemas() {
        let file = format!("{name}.json");
        let committed = std::fs::read_to_string(dir.join(&file)).unwrap_or_default();
        if committed != cm_schemas::render(&schema) {
            stale.push(file.clone());
        }
        expected.insert(file);
    }
    let extra: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.ends_with(".json") && !expected.contains(f))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "JSON Schemas out of date (stale: {stale:?}, no longer generated: {extra:?}).\n\
         Run `cargo run -p cm-schemas --bin cm-gen-schemas` and commit schemas/json/."
    );
}
