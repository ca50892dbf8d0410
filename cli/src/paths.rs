//! Default locations, following the XDG base directory convention.
//!
//! This is the one place that reads `XDG_DATA_HOME`, `XDG_CONFIG_HOME` and `HOME`; flags and
//! the other environment variables are read by clap.

use std::path::PathBuf;

use anyhow::Context;

/// `$XDG_DATA_HOME/codex-manager`, else `~/.local/share/codex-manager`; for root without
/// `XDG_DATA_HOME`, `/var/lib/codex-manager`, which the `postgres` user the private cluster runs
/// as can reach (`/root` is 0700). A root data directory left at the old place by an earlier
/// version is still used if the new one does not exist yet, so no stack loses its data.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    let xdg = xdg_dir("XDG_DATA_HOME", ".local/share")?.join("codex-manager");
    if !nix::unistd::geteuid().is_root() || std::env::var_os("XDG_DATA_HOME").is_some() {
        return Ok(xdg);
    }
    let system = PathBuf::from(ROOT_DATA_DIR);
    if !system.exists() && xdg.join("token").exists() {
        return Ok(xdg);
    }
    Ok(system)
}

/// The data directory of root (see [`default_data_dir`]).
pub const ROOT_DATA_DIR: &str = "/var/lib/codex-manager";

/// `$XDG_CONFIG_HOME/codex-manager`, else `~/.config/codex-manager`.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    Ok(xdg_dir("XDG_CONFIG_HOME", ".config")?.join("codex-manager"))
}

/// The XDG variable if it holds an absolute path (the spec says to ignore relative ones), else
/// `$HOME/<fallback>`.
fn xdg_dir(var: &str, fallback: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(var).map(PathBuf::from)
        && dir.is_absolute()
    {
        return Ok(dir);
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .with_context(|| format!("neither {var} nor HOME is set"))?;
    Ok(PathBuf::from(home).join(fallback))
}
