//! free_port, workspace_root, wait_for, init_tracing.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cm_test_support::{free_port, init_tracing, wait_for, workspace_root};

#[test]
fn free_ports_are_distinct_and_bindable() {
    let ports: HashSet<u16> = (0..50).map(|_| free_port()).collect();
    assert_eq!(ports.len(), 50);
    let port = free_port();
    std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
}

#[test]
fn workspace_root_holds_the_workspace_manifest() {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[workspace]"));
}

#[test]
fn init_tracing_can_be_called_repeatedly() {
    init_tracing();
    init_tracing();
}

#[tokio::test]
async fn wait_for_returns_the_first_success() {
    let calls = AtomicU32::new(0);
    let value = wait_for("the third call", Duration::from_secs(5), || async {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        anyhow::ensure!(n >= 3, "only {n} calls");
        Ok(n * 10)
    })
    .await
    .unwrap();
    assert_eq!(value, 30);
}

#[tokio::test]
async fn wait_for_times_out_with_the_last_error() {
    let started = std::time::Instant::now();
    let err = wait_for("godot", Duration::from_millis(200), || async {
        anyhow::bail!("not yet") as anyhow::Result<()>
    })
    .await
    .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("godot") && message.contains("not yet"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn wait_for_cuts_off_a_hanging_attempt() {
    let err = wait_for("a hanging probe", Duration::from_millis(100), || async {
        std::future::pending::<anyhow::Result<()>>().await
    })
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("a hanging probe"));
}
