//! Children die with the test process, even when it is killed without running destructors.

use std::process::Command;
use std::time::Duration;

use cm_test_support::Postgres;
use cm_test_support::process::ChildProcess;

use crate::{pid_exists, wait_pid_gone};

const CHILD_MODE: &str = "CM_TEST_SUPPORT_ABORTING_PARENT";

/// Run in a re-executed copy of this test binary: start a child (a long `sleep` with its log in
/// the given directory, or with `postgres` a private cluster, whose postmaster runs under
/// another uid), print its pid, and abort without running destructors.
#[test]
fn aborting_parent_helper() {
    let Some(mode) = std::env::var_os(CHILD_MODE) else {
        return; // only meaningful when re-executed by the tests below
    };
    if mode == "postgres" {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let pg = runtime.block_on(Postgres::start_private()).unwrap();
        let dir = pg.log_path().unwrap().parent().unwrap().to_path_buf();
        println!("CHILD_DIR={}", dir.display());
        println!("CHILD_PID={}", pg.pid().unwrap());
        std::mem::forget(pg); // keep it running into the abort
    } else {
        let log = std::path::Path::new(&mode).join("sleep.log");
        let child = ChildProcess::spawn("sleep", command("sleep", &["1000"]), &log).unwrap();
        println!("CHILD_PID={}", child.pid());
        std::mem::forget(child);
    }
    std::process::abort(); // only the death signal can clean up now
}

/// Runs the helper in `mode` and returns its output lines' `KEY=value` for `key`.
fn run_aborting_helper(mode: &std::ffi::OsStr) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "process::aborting_parent_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, mode)
        .output()
        .unwrap();
    assert!(!output.status.success(), "the helper should have aborted");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn value_of(output: &str, key: &str) -> String {
    output
        .lines()
        .find_map(|l| Some(l.split_once(&format!("{key}="))?.1.trim().to_owned()))
        .unwrap_or_else(|| panic!("no {key} in helper output: {output}"))
}

#[tokio::test]
async fn children_are_killed_when_the_test_process_dies() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_aborting_helper(dir.path().as_os_str());
    let pid: u32 = value_of(&output, "CHILD_PID").parse().unwrap();
    wait_pid_gone(pid).await.unwrap();
}

/// The death signal must survive the switch to the `postgres` user (std runs `pre_exec` after
/// `setuid`, which clears it), and the postmaster's backends must follow it.
#[tokio::test]
async fn postgres_dies_with_the_test_process() {
    let output = run_aborting_helper("postgres".as_ref());
    let pid: u32 = value_of(&output, "CHILD_PID").parse().unwrap();
    let dir = value_of(&output, "CHILD_DIR");
    let result = wait_pid_gone(pid).await;
    let _ = std::fs::remove_dir_all(&dir); // the aborted helper could not remove it
    result.unwrap();
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
        .wait_ready("never", Duration::from_secs(5), || async {
            anyhow::bail!("no")
        })
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("boom-marker") && message.contains("exit status: 3"),
        "{message}"
    );
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}
