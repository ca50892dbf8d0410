//! Children die with the test process, even when it is killed without running destructors.

use std::process::Command;
use std::time::Duration;

use cm_test_support::process::ChildProcess;

use crate::{pid_exists, wait_pid_gone};

const CHILD_MODE: &str = "CM_TEST_SUPPORT_ABORTING_PARENT";

/// Run in a re-executed copy of this test binary: spawn a long sleep, print its pid, abort.
#[test]
fn aborting_parent_helper() {
    let Some(log_dir) = std::env::var_os(CHILD_MODE) else {
        return; // only meaningful when re-executed by the test below
    };
    let log = std::path::Path::new(&log_dir).join("sleep.log");
    let child = ChildProcess::spawn("sleep", command("sleep", &["1000"]), &log).unwrap();
    println!("CHILD_PID={}", child.pid());
    std::process::abort(); // no destructors: only the death signal can clean up
}

#[tokio::test]
async fn children_are_killed_when_the_test_process_dies() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "process::aborting_parent_helper", "--nocapture", "--test-threads=1"])
        .env(CHILD_MODE, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let pid: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CHILD_PID="))
        .unwrap_or_else(|| panic!("no CHILD_PID in output: {stdout}"))
        .trim()
        .parse()
        .unwrap();
    assert!(!output.status.success(), "the helper should have aborted");
    wait_pid_gone(pid).await.unwrap();
}

#[tokio::test]
async fn drop_kills_and_reaps() {
    let dir = tempfile::tempdir().unwrap();
    let child = ChildProcess::spawn(
        "sleep",
        command("sleep", &["1000"]),
        &dir.path().join("sleep.log"),
    )
    .unwrap();
    let pid = child.pid();
    assert!(pid_exists(pid));
    drop(child);
    // Reaped synchronously: not even a zombie is left.
    assert!(!pid_exists(pid));
}

#[tokio::test]
async fn errors_quote_the_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ChildProcess::spawn(
        "sh",
        command("sh", &["-c", "echo boom-marker >&2; exit 3"]),
        &dir.path().join("sh.log"),
    )
    .unwrap();
    let err = child
        .wait_ready("never", Duration::from_secs(5), || async { anyhow::bail!("no") })
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("boom-marker") && message.contains("exit status: 3"), "{message}");
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}
