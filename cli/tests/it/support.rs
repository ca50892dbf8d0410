//! Running `codex-manager up` as a child of the test, and looking at processes (`cm_e2e::up`,
//! shared with the fault suite in `tests/faults`).

use std::path::PathBuf;

pub use cm_e2e::up::{Up, bin_dir, descendants, pid_exists};

/// The CLI under test.
pub fn cli_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_codex-manager"))
}
