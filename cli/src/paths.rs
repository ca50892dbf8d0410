//! Default locations, following the XDG base directory convention.
//!
//! This is the one place that reads `XDG_DATA_HOME`, `XDG_CONFIG_HOME` and `HOME`; flags and
//! the other environment variables are read by clap.

use std::path::PathBuf;

use anyhow::Context;

/// `$XDG_DATA_HOME/codex-manager`, else `~/.local/share/codex-manager`.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    Ok(xdg_dir("XDG_DATA_HOME", ".local/share")?.join("codex-manager"))
}

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
