//! Writes the JSON Schemas of every wire type to `schemas/json/` (or the directory given).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("json"));
    std::fs::create_dir_all(&dir)?;
    for (name, schema) in cm_schemas::all_schemas() {
        std::fs::write(
            dir.join(format!("{name}.json")),
            cm_schemas::render(&schema),
        )?;
    }
    println!("wrote schemas to {}", dir.display());
    Ok(())
}
