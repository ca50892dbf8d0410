//! Integration tests of the harness itself, against the real binaries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod codex;
mod helpers;
mod nats;
mod postgres;
mod process;

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Whether a process with this pid exists (a zombie counts as existing).
pub fn pid_exists(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
}

/// Waits until the pid is gone; processes re-parented to init may take a moment to be reaped.
pub async fn wait_pid_gone(pid: u32) -> anyhow::Result<()> {
    cm_test_support::wait_for(
        &format!("pid {pid} to disappear"),
        Duration::from_secs(10),
        || async move {
            anyhow::ensure!(!pid_exists(pid), "pid {pid} still exists");
            Ok(())
        },
    )
    .await
}

/// The pids whose parent is `ppid`, from `/proc/*/stat`.
pub fn children_of(ppid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat =
                std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat"))
                    .unwrap_or_default();
            // "pid (comm) state ppid ..."; comm may contain spaces, so split after the last ')'.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                == Some(ppid)
        })
        .collect()
}
