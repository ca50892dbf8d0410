//! CLI profiles: where a Codex Manager API is and which token it takes.
//!
//! Stored in `<config dir>/codex-manager/profiles.toml` (mode 0600, it holds tokens):
//!
//! ```toml
//! current = "local"
//!
//! [profiles.local]
//! base_url = "http://127.0.0.1:8787"
//! token = "cm_..."
//!
//! [profiles.remote]
//! base_url = "https://cm.example.org"
//! token = "cm_..."
//! ca_cert = "/etc/ssl/private-ca.pem"   # optional: trust this CA (a self-signed gateway)
//! ```
//!
//! `up` writes the `local` profile and makes it current; later commands read the current one.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The name of the profile `up` writes.
pub const LOCAL: &str = "local";

/// One API endpoint with its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The server's root URL, without `/api` (for example `http://127.0.0.1:8787`).
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// A PEM file of CA certificates to trust besides the system's, for an `https` server
    /// whose certificate no public CA signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profiles {
    /// The profile commands use unless told otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl Profiles {
    /// `<config dir>/codex-manager/profiles.toml`.
    pub fn default_path() -> anyhow::Result<PathBuf> {
        Ok(crate::paths::config_dir()?.join("profiles.toml"))
    }

    /// Reads `path`; a missing file is an empty set of profiles.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `path` atomically (a temp file renamed over it) with mode 0600.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path.parent().context("profiles path has no directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let text = toml::to_string_pretty(self).context("serializing profiles")?;
        // Written beside and renamed (tempfile's persist), 0600 from the first byte.
        let mut tmp = tempfile::Builder::new()
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .with_context(|| format!("writing {}", tmp.path().display()))?;
        tmp.persist(path)
            .with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }

    /// Adds or replaces profile `name` and makes it current.
    pub fn set_current(&mut self, name: &str, profile: Profile) {
        self.profiles.insert(name.to_owned(), profile);
        self.current = Some(name.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_other_profiles() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub/profiles.toml");
        assert_eq!(Profiles::load(&path)?, Profiles::default());

        let mut profiles = Profiles::default();
        profiles.profiles.insert(
            "prod".into(),
            Profile {
                base_url: "https://cm.example".into(),
                token: "p".into(),
                ca_cert: Some("/etc/ssl/private-ca.pem".into()),
            },
        );
        let local = Profile {
            base_url: "http://127.0.0.1:8787".into(),
            token: "t".into(),
            ca_cert: None,
        };
        profiles.set_current(LOCAL, local.clone());
        profiles.save(&path)?;

        let loaded = Profiles::load(&path)?;
        assert_eq!(loaded, profiles);
        assert_eq!(loaded.current.as_deref(), Some(LOCAL));
        assert_eq!(loaded.profiles.get(LOCAL), Some(&local));
        let text = std::fs::read_to_string(&path)?;
        assert!(text.starts_with("current = \"local\""), "{text}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
        Ok(())
    }
}
