//! The roles' passwords, one file each (`<dir>/<role>.password`, mode 0600): generated once
//! and kept, so the set-up can run at every start and the services read the same file. A
//! directory that holds them already (a Kubernetes Secret, mounted read-only) is only read.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{ROLES, ServiceRole};

/// Every role's password.
#[derive(Debug, Clone)]
pub struct Passwords {
    dir: PathBuf,
    by_role: Vec<(&'static str, String)>,
}

impl Passwords {
    /// Reads the passwords in `dir`, generating (hex, nothing to quote in a URL) the missing ones.
    pub fn ensure(dir: &Path) -> anyhow::Result<Self> {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut by_role = Vec::with_capacity(ROLES.len());
        for r in ROLES {
            let file = file_in(dir, r);
            let password = match std::fs::read_to_string(&file) {
                Ok(text) if !text.trim().is_empty() => text.trim().to_owned(),
                Ok(_) => anyhow::bail!("{} is empty", file.display()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let password = generate();
                    write_private(&file, &password)?;
                    password
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
            };
            by_role.push((r.role, password));
        }
        Ok(Self {
            dir: dir.to_owned(),
            by_role,
        })
    }

    /// `r`'s password.
    pub fn of(&self, r: &ServiceRole) -> &str {
        self.by_role
            .iter()
            .find(|(role, _)| *role == r.role)
            .map_or("", |(_, pw)| pw.as_str())
    }

    /// The file holding `r`'s password: what the service gets as `CM_DATABASE_PASSWORD_FILE`.
    pub fn file_of(&self, r: &ServiceRole) -> PathBuf {
        file_in(&self.dir, r)
    }
}

fn file_in(dir: &Path, r: &ServiceRole) -> PathBuf {
    dir.join(format!("{}.password", r.role))
}

fn generate() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    // Written beside and renamed (tempfile's persist): a service never reads half a password,
    // and the mode is 0600 from the first byte.
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn passwords_are_generated_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Passwords::ensure(&dir.path().join("db")).unwrap();
        let again = Passwords::ensure(&dir.path().join("db")).unwrap();
        for r in ROLES {
            assert_eq!(first.of(r).len(), 64);
            assert_eq!(first.of(r), again.of(r));
            let mode = std::fs::metadata(first.file_of(r))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", r.role);
        }
        assert_ne!(first.of(&ROLES[0]), first.of(&ROLES[1]));
    }

    #[test]
    fn a_given_password_is_kept_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cm_session.password"), "given\n").unwrap();
        let passwords = Passwords::ensure(dir.path()).unwrap();
        assert_eq!(passwords.of(&ROLES[0]), "given");
    }
}
