//! Integration tests of the launchers against the real binaries, in their persistent-directory
//! use (the temp-dir use is covered by cm-test-support's tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nats;
mod postgres;
mod process;

use std::time::Duration;

/// Whether a process with this pid exists (zombies included).
pub fn pid_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until `pid` is gone.
pub async fn wait_pid_gone(pid: u32) {
    cm_local_infra::wait_for(
        &format!("pid {pid} to disappear"),
        Duration::from_secs(10),
        || async move {
            anyhow::ensure!(!pid_exists(pid), "pid {pid} still exists");
            Ok(())
        },
    )
    .await
    .unwrap();
}
