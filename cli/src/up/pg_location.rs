//! Where the private Postgres cluster lives.
//!
//! Normally in `<data>/postgres`. As root, `initdb` and `postgres` run as the `postgres` user,
//! which must be able to search every directory above the cluster. A data directory under
//! `/root` (mode 0700, the default `~/.local/share/codex-manager` included) is out of its reach,
//! so the cluster goes to `/var/tmp/codex-manager-<hash of the data dir>` instead (`/var/tmp`
//! survives reboots, unlike `/tmp`), and `<data>/postgres` becomes a symlink to it, so the next
//! run, and a person running `ls -l`, finds it. We do not loosen the permissions of the user's
//! directories behind their back.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cm_local_infra::user::RunAs;

/// The cluster directory, and whether it is outside the data directory.
#[derive(Debug, Clone)]
pub struct PgLocation {
    pub root: PathBuf,
    pub elsewhere: bool,
}

/// Chooses (and for the fallback, creates) the cluster directory for `data_pg` =
/// `<data>/postgres`.
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
    if data_pg.exists() {
        bail!(
            "the postgres user cannot reach the existing cluster in {}; make {} searchable for \
             it (for example `chmod o+x` on it and its parents) or move the cluster away",
            data_pg.display(),
            data.display()
        );
    }
    let root = PathBuf::from(format!("/var/tmp/codex-manager-{:016x}", fnv1a(data)));
    create_private_dir(&root, user)?;
    std::os::unix::fs::symlink(&root, data_pg)
        .with_context(|| format!("linking {} to {}", data_pg.display(), root.display()))?;
    Ok(PgLocation {
        root,
        elsewhere: true,
    })
}

/// Creates `dir` for `user`, or accepts it if it already is a real directory owned by `user`
/// (a predictable name in a shared directory must not be someone else's symlink).
fn create_private_dir(dir: &Path, user: RunAs) -> anyhow::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => user.chown(dir),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(dir)
                .with_context(|| format!("inspecting {}", dir.display()))?;
            if meta.is_dir() && meta.uid() == user.uid.as_raw() {
                Ok(())
            } else {
                bail!(
                    "{} exists but is not a directory owned by postgres; remove it",
                    dir.display()
                )
            }
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", dir.display())),
    }
}

/// FNV-1a, 64 bits: a stable name for a path (std's hasher may change between releases).
fn fnv1a(path: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str()
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable() {
        assert_eq!(fnv1a(Path::new("")), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(Path::new("a")), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(Path::new("/x/a")), fnv1a(Path::new("/x/b")));
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
