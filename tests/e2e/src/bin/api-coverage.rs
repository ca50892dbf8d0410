//! `api-coverage [DIR]`: fails unless every operation of `schemas/openapi.json` appears in the
//! gateway access logs under DIR (default `$CM_API_COVERAGE_DIR`), i.e. unless some test
//! exercised it. Run by `scripts/test.sh` after the suites that record them.

use std::path::PathBuf;
use std::process::ExitCode;

use cm_e2e::coverage;

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .or_else(|| std::env::var(coverage::DIR_ENV).ok())
        .map(PathBuf::from);
    let Some(dir) = dir else {
        eprintln!(
            "api-coverage: give the access log directory or set {}",
            coverage::DIR_ENV
        );
        return ExitCode::from(2);
    };
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.json");
    let doc = match std::fs::read_to_string(&spec)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("api-coverage: {}: {e}", spec.display());
            return ExitCode::from(2);
        }
    };
    let total = coverage::operations(&doc).len();
    match coverage::missing(&doc, &dir) {
        Ok(missing) if missing.is_empty() => {
            println!("api-coverage: all {total} operations were exercised by a test");
            ExitCode::SUCCESS
        }
        Ok(missing) => {
            println!(
                "api-coverage: {} of {total} operations were not exercised by any test:",
                missing.len()
            );
            for (method, path, id) in missing {
                println!("  {method} {path}  ({id})");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("api-coverage: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
