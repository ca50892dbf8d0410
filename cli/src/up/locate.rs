//! Finding what `up` runs: the four services (and the mock model) built from this workspace,
//! the native codex, and the built web UI the gateway serves.

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

/// The `web/dist` of the checkout this CLI was built from (where `scripts/build-web.sh` writes).
const CHECKOUT_WEB_DIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/dist");

/// The web UI `up` hands to the gateway (`CM_WEB_DIR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebUi {
    /// A directory with the built UI (`index.html`).
    Built(PathBuf),
    /// `--web-dir` names a directory without `index.html`: the gateway serves it all the same,
    /// which means its page on how to build the UI.
    Empty(PathBuf),
    /// No built UI anywhere `up` looks, nor (the same places) anywhere the gateway looks: `/`
    /// says how to build it.
    NotBuilt,
}

impl WebUi {
    /// `given` (`--web-dir`/`CM_WEB_DIR`), else the first directory with an `index.html` of:
    /// `web/dist` under the current directory (`up` run from a checkout), then the gateway's own
    /// defaults for binaries in `bin_dir` (`cm_gateway::web::default_dirs`: `web/` next to them,
    /// `../share/codex-manager/web`, the checkout's `web/dist`). Paths are absolute: the
    /// gateway runs in its own working directory.
    pub fn locate(given: Option<&Path>, bin_dir: &Path) -> WebUi {
        let absolute = |dir: PathBuf| std::path::absolute(&dir).unwrap_or(dir);
        if let Some(dir) = given {
            let dir = absolute(dir.to_path_buf());
            return if dir.join("index.html").is_file() {
                WebUi::Built(dir)
            } else {
                WebUi::Empty(dir)
            };
        }
        let cwd = std::env::current_dir().ok().map(|dir| dir.join("web/dist"));
        cwd.into_iter()
            .chain([
                bin_dir.join("web"),
                bin_dir.join("../share/codex-manager/web"),
                PathBuf::from(CHECKOUT_WEB_DIST),
            ])
            .map(absolute)
            .find(|dir| dir.join("index.html").is_file())
            .map_or(WebUi::NotBuilt, WebUi::Built)
    }

    /// The directory to pass as `CM_WEB_DIR`, if any.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            WebUi::Built(dir) | WebUi::Empty(dir) => Some(dir),
            WebUi::NotBuilt => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_web_dir_is_used_built_or_not() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = root.path().to_path_buf();
        assert_eq!(WebUi::locate(Some(&dir), &dir), WebUi::Empty(dir.clone()));
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(WebUi::locate(Some(&dir), &dir), WebUi::Built(dir.clone()));
    }

    #[test]
    fn without_one_a_ui_next_to_the_binaries_is_found() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let share = root.path().join("share/codex-manager/web");
        std::fs::create_dir_all(&share).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(share.join("index.html"), "<!doctype html>")
            .unwrap_or_else(|e| panic!("{e}"));
        // `bin/..` resolves only when `bin` exists, as it does for real binaries.
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
        match WebUi::locate(None, &bin) {
            // A built UI under the current directory comes first.
            WebUi::Built(dir) if dir.ends_with("web/dist") => {}
            found => assert_eq!(found, WebUi::Built(bin.join("../share/codex-manager/web"))),
        }
    }
}
