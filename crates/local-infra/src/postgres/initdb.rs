//! Preparing a cluster directory: ownership, the superuser password, and `initdb` run once.
//!
//! `initdb` writes into `<root>/data.initdb`, which is renamed to `<root>/data` only when it
//! succeeded, so a run interrupted during `initdb` leaves nothing that looks like a cluster: the
//! next run removes the leftover and starts over. An existing `data` (with `PG_VERSION`) is
//! reused as it is.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use super::PgConfig;
use crate::process::ChildProcess;

const INITDB_TIMEOUT: Duration = Duration::from_secs(120);
/// The superuser password file, beside `data/`.
pub(super) const PASSWORD_FILE: &str = "superuser-password";

/// Creates `root` (owned by the run-as user, mode 0700), the password file if asked for, and the
/// cluster if there is none; returns the password.
pub(super) async fn prepare(cfg: &PgConfig) -> anyhow::Result<Option<String>> {
    let root = &cfg.root;
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    if let Some(user) = cfg.run_as {
        user.chown(root)?;
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting {}", root.display()))?;
    let password = if cfg.password {
        Some(password(cfg)?)
    } else {
        None
    };
    let data = root.join("data");
    if data.join("PG_VERSION").exists() {
        return Ok(password);
    }
    if data.exists() {
        bail!(
            "{} exists but is not a Postgres cluster (no PG_VERSION); move it away",
            data.display()
        );
    }
    let staging = root.join("data.initdb");
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("removing the leftover {}", staging.display()))?;
    }
    initdb(cfg, &staging).await?;
    std::fs::rename(&staging, &data)
        .with_context(|| format!("renaming {} to {}", staging.display(), data.display()))?;
    Ok(password)
}

/// The password in `<root>/superuser-password`, generated (hex, no quoting needed in URLs) and
/// written with mode 0600 on first use.
fn password(cfg: &PgConfig) -> anyhow::Result<String> {
    let path = cfg.root.join(PASSWORD_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let password = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, password.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    if let Some(user) = cfg.run_as {
        // initdb reads it as that user.
        user.chown(&path)?;
    }
    Ok(password)
}

async fn initdb(cfg: &PgConfig, target: &Path) -> anyhow::Result<()> {
    let mut cmd = cfg.command("initdb");
    cmd.arg("-D")
        .arg(target)
        .args(["-U", "postgres", "-E", "UTF8", "--locale=C"]);
    if cfg.password {
        cmd.args(["--auth=scram-sha-256", "--pwfile"])
            .arg(cfg.root.join(PASSWORD_FILE));
    } else {
        cmd.args(["--auth=trust"]);
    }
    if !cfg.durable {
        cmd.arg("--no-sync");
    }
    let log: PathBuf = cfg.initdb_log_path();
    let mut initdb = ChildProcess::spawn("initdb", cmd, &log)?;
    let status = initdb.wait_exit(INITDB_TIMEOUT).await?;
    if !status.success() {
        bail!("initdb failed ({status}); {}", initdb.log_tail());
    }
    Ok(())
}
