//! Running Postgres as the `postgres` system user when we are root.
//!
//! `initdb` and `postgres` refuse to run as root. Under euid 0 they run as `postgres`, which
//! then needs its own directory and search permission on every directory above it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use nix::unistd::{Gid, Uid, User};

/// The user (and primary group) a child runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    pub uid: Uid,
    pub gid: Gid,
}

impl RunAs {
    /// The `postgres` user when we run as root, `None` otherwise (run as ourselves).
    pub fn postgres_if_root() -> anyhow::Result<Option<Self>> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(None);
        }
        let user = User::from_name("postgres")
            .context("looking up the postgres user")?
            .context(
                "running as root, but there is no `postgres` user to run initdb/postgres as; \
                 create one or set DATABASE_URL",
            )?;
        Ok(Some(Self {
            uid: user.uid,
            gid: user.gid,
        }))
    }

    /// Makes `cmd` run as this user. std drops the privileges before `pre_exec` closures run.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.uid(self.uid.as_raw()).gid(self.gid.as_raw());
    }

    /// Gives `path` to this user.
    pub fn chown(&self, path: &Path) -> anyhow::Result<()> {
        nix::unistd::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("chowning {} to uid {}", path.display(), self.uid))
    }

    /// Whether this user may search (`x`) every directory from `/` down to `dir` (owner, primary
    /// group and other bits; supplementary groups and ACLs are ignored, so a `false` may be
    /// overly careful but a `true` is right). Missing directories count as not searchable.
    pub fn can_traverse(&self, dir: &Path) -> bool {
        dir.ancestors().all(|d| {
            d.as_os_str().is_empty()
                || d.metadata().is_ok_and(|m| {
                    let mode = m.permissions().mode();
                    let bit = if m.uid() == self.uid.as_raw() {
                        0o100
                    } else if m.gid() == self.gid.as_raw() {
                        0o010
                    } else {
                        0o001
                    };
                    m.is_dir() && mode & bit != 0
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_follows_the_mode_bits() -> anyhow::Result<()> {
        let nobody = RunAs {
            uid: Uid::from_raw(65534),
            gid: Gid::from_raw(65534),
        };
        let dir = tempfile::tempdir()?;
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner)?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        assert!(!nobody.can_traverse(&inner));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711))?;
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o755))?;
        let parents_open = dir.path().ancestors().skip(1).all(|d| {
            d.metadata()
                .is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
        });
        assert_eq!(nobody.can_traverse(&inner), parents_open);
        assert!(!nobody.can_traverse(&dir.path().join("missing")));
        Ok(())
    }
}
