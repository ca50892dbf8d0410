//! Soak (not in CI): `codex-manager up --demo` for N minutes with concurrent sessions running
//! turns and following their events (reconnecting as clients do), while every few seconds a
//! random process of the stack is killed with SIGKILL mid-turn. Reports turns started and
//! terminal, events lost and duplicated.
//!
//!   cargo build --workspace --bins && cargo run -p cm-faults --bin soak -- --minutes 30

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cm_e2e::Api;
use cm_e2e::up::{Up, bin_dir};
use cm_faults::{Outcome, Victim, run_case, table};

struct Args {
    minutes: f64,
    /// Sessions running plain turns beside the one being killed.
    background: usize,
}

fn args() -> Args {
    let mut out = Args {
        minutes: 30.0,
        background: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--minutes" => out.minutes = value.parse().expect("--minutes N"),
            "--background" => out.background = value.parse().expect("--background N"),
            other => panic!("unknown flag {other} (--minutes N, --background N)"),
        }
    }
    out
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    let codex = cm_test_support::codex_bin().expect("no codex binary (scripts/install-deps.sh)");
    bin_dir();
    let root = tempfile::Builder::new()
        .prefix("cm-soak-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let data = root.path().join("data");
    let mut up = Up::start(
        &data,
        &root.path().join("config"),
        cm_test_support::free_port(),
        &codex,
        &root.path().join("up.log"),
    );
    up.wait_ready().await;
    let token = std::fs::read_to_string(data.join("token")).unwrap();
    let api = Api::new(up.base(), token.trim().to_owned());
    let deadline = Instant::now() + Duration::from_secs_f64(args.minutes * 60.0);
    let stop = Arc::new(AtomicBool::new(false));

    // Background sessions: plain slow turns, each followed live and checked against a replay.
    let mut background = Vec::new();
    for _ in 0..args.background {
        let (api, stop, pid) = (api.clone(), stop.clone(), up.pid());
        background.push(tokio::spawn(async move {
            let mut results = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let result = run_case(&api, pid, None).await;
                if let Err(e) = &result {
                    eprintln!("background case: {e:#}");
                }
                results.push(result);
            }
            results
        }));
    }
    let mut killed: Vec<anyhow::Result<Outcome>> = Vec::new();
    while Instant::now() < deadline {
        let victim = Victim::ALL[random() % Victim::ALL.len()];
        let result = run_case(&api, up.pid(), Some(victim)).await;
        if let Err(e) = &result {
            eprintln!("{}: {e:#}", victim.name());
        }
        killed.push(result);
        println!(
            "{:.0} s: {} kills",
            up.started.elapsed().as_secs_f64(),
            killed.len()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let mut plain = Vec::new();
    for task in background {
        plain.extend(task.await.unwrap());
    }
    report(&killed, &plain, &up);
}

fn report(killed: &[anyhow::Result<Outcome>], plain: &[anyhow::Result<Outcome>], up: &Up) {
    let all: Vec<&anyhow::Result<Outcome>> = killed.iter().chain(plain).collect();
    let done: Vec<&Outcome> = all.iter().filter_map(|r| r.as_ref().ok()).collect();
    let errors = all.len() - done.len();
    // Each case starts two turns (the slow one and the next).
    let started = 2 * all.len();
    let terminal = 2 * done.len();
    let lost: usize = done.iter().map(|o| o.lost).sum();
    let doubled: usize = done.iter().map(|o| o.duplicated + o.phantom).sum();
    let mismatched = done.iter().filter(|o| !o.text_matches).count();
    let events: usize = done.iter().map(|o| o.live).sum();
    println!(
        "\nsoak: {:.1} min, {} kills, {} background cases; turns started {started}, terminal \
         {terminal}; events received {events}, lost {lost}, duplicated {doubled}; snapshot text \
         mismatches {mismatched}; cases that did not finish {errors}",
        up.started.elapsed().as_secs_f64() / 60.0,
        killed.len(),
        plain.len(),
    );
    let by_victim: Vec<Outcome> = killed
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    println!("\n{}", table(&by_victim));
    if errors > 0 || lost > 0 || doubled > 0 || mismatched > 0 {
        std::process::exit(1);
    }
}

/// Enough randomness to pick a victim.
fn random() -> usize {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (nanos as usize).wrapping_mul(2_654_435_761) >> 7
}
