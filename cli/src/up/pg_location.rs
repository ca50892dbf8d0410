//! Where the private Postgres cluster lives: always `<data>/postgres`, so all of a stack's state
//! is under its one data directory (removing it removes the database too).
//!
//! As root, `initdb` and `postgres` run as the `postgres` user, which must be able to search
//! every directory above the cluster. The default data directory of root is therefore
//! `/var/lib/codex-manager` (`crate::paths`), which it can; a `--data-dir` it cannot reach (one
//! under `/root`, mode 0700) is refused up front with what to do, instead of putting the
//! cluster somewhere else. We do not loosen the permissions of the user's directories behind
//! their back.
//!
//! Earlier versions put such a cluster in `/var/tmp/codex-manager-<hash>` with `<data>/postgres`
//! a symlink to it: an existing link is still followed (with a warning on how to move it), so no
//! data is lost.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cm_local_infra::user::RunAs;

/// The cluster directory, and whether it is outside the data directory (a legacy symlink).
#[derive(Debug, Clone)]
pub struct PgLocation {
    pub root: PathBuf,
    pub elsewhere: bool,
}

/// The cluster directory for `data_pg` = `<data>/postgres`.
pub fn choose(data_pg: &Path, run_as: Option<RunAs>) -> anyhow::Result<PgLocation> {
    if data_pg.is_symlink() {
        let target = std::fs::read_link(data_pg)
            .with_context(|| format!("reading the symlink {}", data_pg.display()))?;
        return Ok(PgLocation {
            root: target,
            elsewhere: true,
        });
    }
    let here = PgLocation {
        root: data_pg.to_path_buf(),
        elsewhere: false,
    };
    let Some(user) = run_as else {
        return Ok(here);
    };
    let data = data_pg.parent().context("the cluster path has no parent")?;
    if user.can_traverse(data) {
        return Ok(here);
    }
    bail!(
        "the postgres user cannot reach {}: the private Postgres cluster must live in the data \
         directory, and as root it runs as postgres. Use a data directory it can search (the \
         default for root, /var/lib/codex-manager, or any path whose parents are searchable, \
         e.g. under /var/lib or /srv), make {} and its parents searchable (`chmod o+x`), or \
         use an external database with DATABASE_URL",
        data_pg.display(),
        data.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_root_an_unreachable_data_dir_is_refused_not_moved() -> anyhow::Result<()> {
        let Some(postgres) = RunAs::postgres_if_root()? else {
            return Ok(()); // only root switches to the postgres user
        };
        let private = tempfile::tempdir()?; // mode 0700
        let data_pg = private.path().join("data/postgres");
        let err = choose(&data_pg, Some(postgres)).unwrap_err().to_string();
        assert!(err.contains(&data_pg.display().to_string()), "{err}");
        assert!(err.contains("/var/lib/codex-manager"), "{err}");
        assert!(!data_pg.exists(), "nothing was created");
        assert!(!data_pg.is_symlink());
        Ok(())
    }

    #[test]
    fn without_a_user_to_switch_to_the_cluster_stays_in_the_data_dir() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let location = choose(&dir.path().join("postgres"), None)?;
        assert_eq!(location.root, dir.path().join("postgres"));
        assert!(!location.elsewhere);
        Ok(())
    }
}
