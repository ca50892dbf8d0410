//! Which API to talk to, with which token: flags and environment first (`--url`/`CM_URL`,
//! `--token`/`CM_TOKEN`), then the profile named by `--profile`/`CM_PROFILE`, then the current
//! profile of `profiles.toml`, then `http://127.0.0.1:8787` without a token. A CA certificate
//! to trust (`--ca-cert`/`CM_CA_CERT`) is chosen the same way.

use std::path::{Path, PathBuf};

use crate::exit::CliError;
use crate::profile::Profiles;

/// Where `up` listens by default.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8787";

/// The resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub base_url: String,
    pub token: Option<String>,
    /// A PEM file of extra CA certificates for an `https` server.
    pub ca_cert: Option<PathBuf>,
    /// The profile the values came from, if any.
    pub profile: Option<String>,
}

impl Target {
    /// Resolves flags (with their environment fallbacks) against `profiles`.
    pub fn resolve(
        profiles: &Profiles,
        profile: Option<&str>,
        url: Option<&str>,
        token: Option<&str>,
        ca_cert: Option<&Path>,
    ) -> Result<Self, CliError> {
        let chosen = match profile {
            Some(name) => Some((
                name,
                profiles.profiles.get(name).ok_or_else(|| {
                    CliError::usage(format!(
                        "no profile {name:?}; known: {} (see `codex-manager profile list`)",
                        known(profiles)
                    ))
                })?,
            )),
            None => profiles
                .current
                .as_deref()
                .and_then(|name| profiles.profiles.get(name).map(|p| (name, p))),
        };
        let base_url = url
            .map(str::to_owned)
            .or_else(|| chosen.map(|(_, p)| p.base_url.clone()))
            .map_or_else(|| DEFAULT_URL.to_owned(), |u| root(&u));
        let token = token
            .map(str::to_owned)
            .or_else(|| chosen.map(|(_, p)| p.token.clone()))
            .filter(|t| !t.is_empty());
        let ca_cert = ca_cert
            .map(Path::to_owned)
            .or_else(|| chosen.and_then(|(_, p)| p.ca_cert.clone()));
        Ok(Self {
            base_url,
            token,
            ca_cert,
            profile: chosen.map(|(name, _)| name.to_owned()),
        })
    }
}

/// The server's root: without a trailing `/` or `/api` (both are easy to paste).
fn root(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    url.strip_suffix("/api").unwrap_or(url).to_owned()
}

fn known(profiles: &Profiles) -> String {
    if profiles.profiles.is_empty() {
        "none".to_owned()
    } else {
        profiles
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    fn profiles() -> Profiles {
        let mut p = Profiles::default();
        p.profiles.insert(
            "prod".into(),
            Profile {
                base_url: "https://prod".into(),
                token: "p".into(),
                ca_cert: Some("/prod-ca.pem".into()),
            },
        );
        p.set_current(
            "local",
            Profile {
                base_url: "http://127.0.0.1:1".into(),
                token: "l".into(),
                ca_cert: None,
            },
        );
        p
    }

    #[test]
    fn flags_win_over_the_named_profile_which_wins_over_the_current_one() {
        let p = profiles();
        let t = Target::resolve(&p, None, None, None, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                t.base_url.as_str(),
                t.token.as_deref(),
                t.profile.as_deref()
            ),
            ("http://127.0.0.1:1", Some("l"), Some("local"))
        );
        let t = Target::resolve(&p, Some("prod"), None, Some("x"), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.base_url.as_str(), t.token.as_deref()),
            ("https://prod", Some("x"))
        );
        assert_eq!(t.ca_cert.as_deref(), Some(Path::new("/prod-ca.pem")));
        let flag = Path::new("/flag-ca.pem");
        let t = Target::resolve(&p, Some("prod"), None, None, Some(flag))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.ca_cert.as_deref(), Some(flag));
        let t = Target::resolve(&Profiles::default(), None, None, None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.base_url.as_str(), t.token), (DEFAULT_URL, None));
        let t = Target::resolve(&p, None, Some("http://h:1/api/"), None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.base_url, "http://h:1");
        let e = Target::resolve(&p, Some("nope"), None, None, None).err();
        assert!(e.is_some_and(|e| e.message.contains("local, prod")));
    }
}
