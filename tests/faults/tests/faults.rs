//! kill -9 of every process under `codex-manager up --demo` while a slow turn streams: every
//! turn ends, nothing is lost or shown twice, and the snapshot holds what was streamed. The
//! table it prints is the one in docs/reliability.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use cm_e2e::Api;
use cm_e2e::up::{Up, bin_dir};
use cm_faults::{Victim, run_case, table};

#[tokio::test(flavor = "multi_thread")]
async fn every_process_killed_mid_turn_loses_and_doubles_nothing() {
    let Some(codex) = cm_test_support::codex_bin() else {
        panic!("no codex binary: run scripts/install-deps.sh or set CODEX_BIN");
    };
    bin_dir();
    // Not under /tmp (codex will not put its helpers there); searchable for the postgres user.
    let root = tempfile::Builder::new()
        .prefix("cm-faults-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let data = root.path().join("data");
    let port = cm_test_support::free_port();
    let mut up = Up::start(
        &data,
        &root.path().join("config"),
        port,
        &codex,
        &root.path().join("up.log"),
    );
    up.wait_ready().await;
    let token = std::fs::read_to_string(data.join("token")).unwrap();
    let api = Api::new(up.base(), token.trim().to_owned());

    let started = Instant::now();
    let mut outcomes = Vec::new();
    for victim in Victim::ALL {
        match run_case(&api, up.pid(), Some(victim)).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => panic!(
                "{}: {e:#}\n{}\nup's output:\n{}",
                victim.name(),
                table(&outcomes),
                up.output()
            ),
        }
    }
    println!(
        "fault suite: {} cases in {:.0} s\n\n{}",
        outcomes.len(),
        started.elapsed().as_secs_f64(),
        table(&outcomes)
    );
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.ok()).collect();
    assert!(
        failed.is_empty(),
        "{failed:#?}\n{}\nup's output:\n{}",
        table(&outcomes),
        up.output()
    );
}
