//! `profile`: the API endpoints this CLI knows (`profiles.toml` in the config directory).
//! `up` writes `local`; `profile set` adds others. Tokens are never printed unless asked.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

use crate::exit::CliError;
use crate::output::{self, Output};
use crate::profile::{Profile, Profiles};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  codex-manager profile list
  codex-manager profile set prod --url https://cm.example.com --token-file ~/.cm-prod-token
  codex-manager profile set lab --url https://lab:8443 --token-file t --ca-cert lab-ca.pem
  codex-manager profile use prod
  codex-manager --profile local sessions list     # one command against another profile
  CM_URL=http://127.0.0.1:9000 CM_TOKEN=... codex-manager sessions list
  codex-manager profile show --show-token

`set` takes the global --url and --token (or CM_URL / CM_TOKEN).")]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// List the profiles; `*` marks the current one.
    List,
    /// Make a profile the current one.
    Use { name: String },
    /// Add or change a profile (its URL from --url, its token from --token or --token-file, a CA
    /// to trust from --ca-cert).
    Set {
        name: String,
        /// Read the token from this file.
        #[arg(long, value_name = "PATH", conflicts_with = "token")]
        token_file: Option<PathBuf>,
        /// Make it the current profile too.
        #[arg(long = "use")]
        make_current: bool,
    },
    /// Show a profile [default: the current one].
    Show {
        name: Option<String>,
        /// Print the token too.
        #[arg(long)]
        show_token: bool,
    },
    /// Forget a profile.
    Remove { name: String },
}

/// The global flags `profile set` reads.
pub struct Given<'a> {
    pub url: Option<&'a str>,
    pub token: Option<&'a str>,
    pub ca_cert: Option<&'a std::path::Path>,
}

pub fn run(out: Output, args: Args, given: Given<'_>) -> anyhow::Result<()> {
    let path = Profiles::default_path()?;
    let mut profiles = Profiles::load(&path)?;
    let missing = |name: &str| {
        CliError::new(
            crate::exit::Class::NotFound,
            format!("no profile {name:?} in {}", path.display()),
        )
    };
    match args.cmd {
        Cmd::List => {
            let current = profiles.current.clone();
            let list: Vec<_> = profiles
                .profiles
                .iter()
                .map(|(name, p)| {
                    json!({
                        "name": name, "baseUrl": p.base_url, "hasToken": !p.token.is_empty(),
                        "current": current.as_deref() == Some(name.as_str()),
                    })
                })
                .collect();
            let v = json!({ "current": current, "path": path, "profiles": list });
            out.show(&v, |v| {
                let rows = output::slice(&v["profiles"])
                    .iter()
                    .map(|p| {
                        vec![
                            if p["current"] == true {
                                "*".to_owned()
                            } else {
                                String::new()
                            },
                            output::cell(&p["name"]),
                            output::cell(&p["baseUrl"]),
                            if p["hasToken"] == true {
                                "yes".to_owned()
                            } else {
                                "no".to_owned()
                            },
                        ]
                    })
                    .collect();
                output::table(
                    &["", "name", "url", "token"],
                    rows,
                    "(no profiles: run `codex-manager up` or `codex-manager profile set`)",
                );
            });
        }
        Cmd::Use { name } => {
            if !profiles.profiles.contains_key(&name) {
                return Err(missing(&name).into());
            }
            profiles.current = Some(name.clone());
            profiles.save(&path)?;
            out.done(
                &json!({ "current": name }),
                &format!("now using profile {name:?}"),
            );
        }
        Cmd::Set {
            name,
            token_file,
            make_current,
        } => {
            let token = match (&token_file, given.token) {
                (Some(file), _) => Some(
                    std::fs::read_to_string(file)
                        .with_context(|| format!("reading {}", file.display()))?
                        .trim()
                        .to_owned(),
                ),
                (None, token) => token.map(str::to_owned),
            };
            let old = profiles.profiles.get(&name).cloned();
            let base_url = given
                .url
                .map(str::to_owned)
                .or_else(|| old.as_ref().map(|p| p.base_url.clone()))
                .ok_or_else(|| {
                    CliError::usage(format!("profile {name:?} is new: give its --url"))
                })?;
            let token = token
                .or_else(|| old.as_ref().map(|p| p.token.clone()))
                .unwrap_or_default();
            // Kept absolute: later commands run from anywhere.
            let ca_cert =
                match given.ca_cert {
                    Some(path) => Some(std::fs::canonicalize(path).map_err(|e| {
                        CliError::usage(format!("--ca-cert {}: {e}", path.display()))
                    })?),
                    None => old.as_ref().and_then(|p| p.ca_cert.clone()),
                };
            let profile = Profile {
                base_url,
                token,
                ca_cert,
            };
            if make_current || profiles.current.is_none() {
                profiles.set_current(&name, profile);
            } else {
                profiles.profiles.insert(name.clone(), profile);
            }
            profiles.save(&path)?;
            let current = profiles.current.as_deref() == Some(name.as_str());
            out.done(
                &json!({ "name": name, "current": current, "path": path }),
                &format!(
                    "profile {name:?} saved in {}{}",
                    path.display(),
                    if current { " (current)" } else { "" }
                ),
            );
        }
        Cmd::Show { name, show_token } => {
            let name = name.or_else(|| profiles.current.clone()).ok_or_else(|| {
                CliError::new(
                    crate::exit::Class::NotFound,
                    "no current profile: run `codex-manager up` or `codex-manager profile set`",
                )
            })?;
            let p = profiles.profiles.get(&name).ok_or_else(|| missing(&name))?;
            let token = if show_token {
                json!(p.token)
            } else {
                json!(mask(&p.token))
            };
            let v = json!({
                "name": name, "baseUrl": p.base_url, "token": token,
                "current": profiles.current.as_deref() == Some(name.as_str()), "path": path,
                "caCert": p.ca_cert,
            });
            out.show(&v, |v| {
                output::kv(&[
                    ("Name", output::cell(&v["name"])),
                    ("URL", output::cell(&v["baseUrl"])),
                    ("Token", output::cell(&v["token"])),
                    ("CA certificate", output::cell(&v["caCert"])),
                    ("Current", output::cell(&v["current"])),
                    ("File", output::cell(&v["path"])),
                ]);
            });
        }
        Cmd::Remove { name } => {
            if profiles.profiles.remove(&name).is_none() {
                return Err(missing(&name).into());
            }
            if profiles.current.as_deref() == Some(name.as_str()) {
                profiles.current = None;
            }
            profiles.save(&path)?;
            out.done(
                &json!({ "removed": name }),
                &format!("profile {name:?} removed"),
            );
        }
    }
    Ok(())
}

/// The first characters of a token, enough to tell tokens apart.
fn mask(token: &str) -> String {
    if token.is_empty() {
        return "(none)".to_owned();
    }
    let head: String = token.chars().take(6).collect();
    format!("{head}… ({} characters)", token.chars().count())
}
