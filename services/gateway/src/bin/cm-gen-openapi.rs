//! Writes the OpenAPI document of the HTTP API to `schemas/openapi.json` (or the path given).
//! `services/gateway/tests/openapi.rs` fails when the committed file differs from the code.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.json")
        });
    std::fs::write(&path, cm_gateway::render_openapi())?;
    println!("wrote {}", path.display());
    Ok(())
}
