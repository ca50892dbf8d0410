//! Where the external binaries are: `nats-server`, the Postgres server binaries and the native
//! `codex`.
//!
//! Every lookup takes the caller's explicit override first (a flag or an environment variable,
//! read by the caller), then searches `PATH` and the usual install locations.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Where the project's set-up (`scripts/install-deps.sh`) installs the native codex binary,
/// relative to the workspace root.
pub const VENDORED_CODEX: &str =
    ".tools/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";

/// The first executable called `name` in the directories of `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file (after symlinks) with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `nats-server`: `explicit` if given, else on `PATH`, else `/usr/sbin/nats-server`.
pub fn nats_server_bin(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(bin) = explicit {
        return Ok(bin);
    }
    find_in_path("nats-server")
        .or_else(|| Some(PathBuf::from("/usr/sbin/nats-server")))
        .filter(|p| is_executable(p))
        .context("nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH")
}

/// The first directory with both `initdb` and `postgres`: `explicit` if given (an error if it
/// lacks them), else the directory of `initdb` on `PATH`, else the highest
/// `/usr/lib/postgresql/<version>/bin` (where Debian's `postgresql` package puts them).
pub fn pg_bin_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let has_both =
        |dir: &Path| is_executable(&dir.join("initdb")) && is_executable(&dir.join("postgres"));
    if let Some(dir) = explicit {
        if has_both(&dir) {
            return Ok(dir);
        }
        bail!("PG_BIN={} has no initdb and postgres", dir.display());
    }
    if let Some(dir) = find_in_path("initdb").and_then(|p| p.parent().map(Path::to_path_buf))
        && has_both(&dir)
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir).context(
        "Postgres binaries not found: set PG_BIN, put initdb on PATH, install Debian's \
         `postgresql` package, or set DATABASE_URL",
    )
}

/// The vendored codex under the workspace `root`, if it is installed there.
pub fn vendored_codex(root: &Path) -> Option<PathBuf> {
    let bin = root.join(VENDORED_CODEX);
    is_executable(&bin).then_some(bin)
}

/// The vendored codex under `start` or the nearest of its ancestors that has one.
pub fn vendored_codex_above(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(vendored_codex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_on_path() {
        let sh = find_in_path("sh");
        assert!(sh.as_deref().is_some_and(is_executable), "{sh:?}");
        assert!(find_in_path("surely-no-such-binary-here").is_none());
    }

    #[test]
    fn a_missing_vendored_codex_is_none() {
        assert!(vendored_codex(Path::new("/nonexistent")).is_none());
        assert!(vendored_codex_above(Path::new("/nonexistent/a/b")).is_none());
    }
}
