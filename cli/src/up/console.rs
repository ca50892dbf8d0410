//! The terminal: every line a child prints, prefixed with its name and aligned like
//! `docker compose` does (`gateway        | ...`), plus `up`'s own messages and alerts.
//!
//! Prefixes are coloured when stdout is a terminal and `NO_COLOR` is unset. One lock keeps the
//! lines of concurrent children whole.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use cm_local_infra::process::LineSink;

/// The widest name that gets a prefix (`runtime-bridge`).
const WIDTH: usize = 14;
const RESET: &str = "\x1b[0m";

/// Shared handle to the terminal.
#[derive(Clone)]
pub struct Console {
    color: bool,
    lock: Arc<Mutex<()>>,
}

impl Console {
    pub fn new() -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self {
            color,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// A status line of `up` itself.
    pub fn info(&self, message: &str) {
        self.line("up", message);
    }

    /// Something the user must notice (a crash, a restart, a failure).
    pub fn alert(&self, message: &str) {
        let text = if self.color {
            format!("\x1b[1;31m!!! {message}{RESET}")
        } else {
            format!("!!! {message}")
        };
        self.line("up", &text);
    }

    /// Lines printed as they are, without a prefix (the banner).
    pub fn block(&self, text: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// `text` in bold when colours are on.
    pub fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// A sink that prints each line of child `name` with its prefix.
    pub fn sink(&self, name: &str) -> LineSink {
        let console = self.clone();
        let name = name.to_owned();
        Arc::new(move |line: &str| console.line(&name, line))
    }

    fn line(&self, name: &str, text: &str) {
        let prefix = format!("{name:<WIDTH$} |");
        let prefix = if self.color {
            format!("\x1b[{}m{prefix}{RESET}", colour_of(name))
        } else {
            prefix
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{prefix} {text}");
        let _ = out.flush();
    }
}

/// An ANSI colour code per name, stable across runs.
fn colour_of(name: &str) -> u8 {
    match name {
        "up" => 1,
        "gateway" => 36,
        "session" => 32,
        "runtime-bridge" => 35,
        "queue-worker" => 33,
        _ => 34,
    }
}
