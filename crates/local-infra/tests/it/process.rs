//! Output lines reach both the log and the sink; a group leader takes its group down with it.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cm_local_infra::process::ChildProcess;

use crate::{pid_exists, wait_pid_gone};

#[tokio::test]
async fn lines_go_to_the_log_and_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sh.log");
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = {
        let seen = seen.clone();
        Arc::new(move |line: &str| seen.lock().unwrap().push(line.to_owned()))
    };
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo out-1; echo err-1 >&2; printf 'no-newline'"]);
    let mut child = ChildProcess::spawn_with_lines("sh", cmd, &log, sink).unwrap();
    assert!(
        child
            .wait_exit(Duration::from_secs(10))
            .await
            .unwrap()
            .success()
    );
    cm_local_infra::wait_for("three lines", Duration::from_secs(5), || async {
        anyhow::ensure!(seen.lock().unwrap().len() == 3);
        Ok(())
    })
    .await
    .unwrap();
    let mut lines = seen.lock().unwrap().clone();
    lines.sort();
    assert_eq!(lines, ["err-1", "no-newline", "out-1"]);
    let text = std::fs::read_to_string(&log).unwrap();
    for line in lines {
        assert!(text.contains(&format!("{line}\n")), "{text}");
    }
}

#[tokio::test]
async fn killing_a_group_leader_kills_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sh.log");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "sleep 1000 & echo $!; wait"])
        .process_group(0);
    let child = ChildProcess::spawn("sh", cmd, &log).unwrap();
    let grandchild: u32 =
        cm_local_infra::wait_for("the grandchild's pid", Duration::from_secs(5), || async {
            Ok(std::fs::read_to_string(&log)?.trim().parse::<u32>()?)
        })
        .await
        .unwrap();
    assert!(pid_exists(grandchild));
    drop(child);
    wait_pid_gone(grandchild).await;
}
