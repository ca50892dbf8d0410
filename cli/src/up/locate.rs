//! Finding the binaries `up` runs: the four services (and the mock model) built from this
//! workspace, and the native codex.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cm_local_infra::bins::{find_in_path, is_executable, vendored_codex_above};

/// The service binaries, all from one directory.
#[derive(Debug, Clone)]
pub struct ServiceBins {
    pub dir: PathBuf,
}

/// Every binary `up` may start, by file name.
const SERVICES: [&str; 4] = [
    "cm-gateway",
    "cm-session",
    "cm-runtime-bridge",
    "cm-queue-worker",
];
const MOCK_MODEL: &str = "cm-mock-model";

impl ServiceBins {
    /// `dir`, else the directory of this executable; checks that the binaries are there.
    pub fn find(dir: Option<PathBuf>, demo: bool) -> anyhow::Result<Self> {
        let dir = match dir {
            Some(dir) => dir,
            None => std::env::current_exe()
                .context("locating this executable")?
                .parent()
                .context("this executable has no directory")?
                .to_path_buf(),
        };
        let mut needed: Vec<&str> = SERVICES.to_vec();
        if demo {
            needed.push(MOCK_MODEL);
        }
        let missing: Vec<&str> = needed
            .into_iter()
            .filter(|name| !is_executable(&dir.join(name)))
            .collect();
        if !missing.is_empty() {
            bail!(
                "{} not found in {}: build them with `cargo build --workspace --bins` (they go \
                 next to codex-manager), or point --bin-dir at them",
                missing.join(", "),
                dir.display()
            );
        }
        Ok(Self { dir })
    }

    /// The path of binary `name` (for example `cm-gateway`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The native codex: `explicit` (CODEX_BIN), else the project-local install
/// (`.tools/codex/...`, see `scripts/install-deps.sh`) above this executable or above the
/// current directory, else `codex` on PATH.
pub fn codex_bin(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(bin) = explicit {
        if is_executable(&bin) {
            return Ok(bin);
        }
        bail!("CODEX_BIN={} is not an executable file", bin.display());
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let cwd = std::env::current_dir().ok();
    exe_dir
        .iter()
        .chain(cwd.iter())
        .find_map(|dir| vendored_codex_above(dir))
        .or_else(|| find_in_path("codex"))
        .context(
            "the codex binary was not found: run `scripts/install-deps.sh` in the codex-manager \
             checkout (it installs codex under .tools/codex), or set CODEX_BIN, or put codex on \
             PATH",
        )
}
