//! A `postmaster.pid` left behind by a crashed run.
//!
//! Postgres itself ignores a lock file whose pid is dead, but not one whose pid was reused by a
//! live process of the same user (after a reboot, say): it then refuses to start. So before each
//! start the file is checked: if its pid is a live process whose working directory is this data
//! directory (a postmaster changes into its data directory), that server is really running and
//! we refuse; otherwise the file is stale and removed.

use std::path::Path;

use anyhow::{Context, bail};

/// Removes `<data_dir>/postmaster.pid` unless a postmaster really runs on `data_dir`.
pub(super) fn clear_stale(data_dir: &Path) -> anyhow::Result<()> {
    let path = data_dir.join("postmaster.pid");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let pid = text
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<i64>().ok())
        .map(i64::abs);
    if let Some(pid) = pid
        && runs_in(pid, data_dir)
    {
        bail!(
            "a postgres server (pid {pid}) is already running on {}; stop it first (is another \
             `codex-manager up` using this data directory?)",
            data_dir.display()
        );
    }
    std::fs::remove_file(&path).with_context(|| format!("removing stale {}", path.display()))?;
    tracing::warn!(path = %path.display(), ?pid, "removed a stale postmaster.pid");
    Ok(())
}

/// Whether process `pid` exists and its working directory is `dir`.
fn runs_in(pid: i64, dir: &Path) -> bool {
    let Ok(cwd) = std::fs::read_link(format!("/proc/{pid}/cwd")) else {
        return false;
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    cwd == dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_pid_is_stale_and_ours_is_live() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let pid_file = dir.path().join("postmaster.pid");
        // A pid above the kernel's maximum cannot be alive.
        std::fs::write(&pid_file, "4194305\n/data\n")?;
        clear_stale(dir.path())?;
        assert!(!pid_file.exists());

        // This process runs in its cwd, so a pid file naming us there is "live".
        let cwd = std::env::current_dir()?;
        assert!(runs_in(i64::from(std::process::id()), &cwd));
        assert!(!runs_in(i64::from(std::process::id()), dir.path()));
        clear_stale(dir.path())?; // no file: nothing to do
        Ok(())
    }
}
