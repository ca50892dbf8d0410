//! The command line itself: version, help, and the errors that come before anything starts.

use std::process::Command;

use crate::support::cli_bin;

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(cli_bin()).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn version_and_help() {
    let (ok, text) = run(&["--version"]);
    assert!(ok, "{text}");
    assert_eq!(
        text.trim(),
        format!("codex-manager {}", env!("CARGO_PKG_VERSION"))
    );
    let (ok, text) = run(&["up", "--help"]);
    assert!(ok, "{text}");
    assert!(text.contains("codex-manager up --demo"), "{text}");
    assert!(text.contains("--data-dir"), "{text}");
}

#[test]
fn cmgr_is_the_same_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_cmgr"))
        .args(["api", "operations", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(table.as_array().is_some_and(|t| t.len() > 50), "{table}");
}

#[test]
fn completions_cover_the_command_tree() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, text) = run(&["completions", shell]);
        assert!(ok, "{text}");
        for word in ["codex-manager", "sessions", "tool-input", "idempotency-key"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
    let (ok, text) = run(&["completions", "tcsh"]);
    assert!(!ok && text.contains("invalid value"), "{text}");
}

#[test]
fn the_operation_table_needs_no_server() {
    let (ok, text) = run(&["api", "operations"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("codex-manager approvals decide") && text.contains("decideRequest"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let output = Command::new(cli_bin())
        .args(["sessions", "send"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(cli_bin())
        .args(["approvals", "decide", "s", "r", "maybe"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn missing_service_binaries_are_named() {
    let data = tempfile::tempdir().unwrap();
    let bins = tempfile::tempdir().unwrap();
    let (ok, text) = run(&[
        "up",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--bin-dir",
        bins.path().to_str().unwrap(),
        "--port",
        &cm_test_support::free_port().to_string(),
    ]);
    assert!(!ok);
    assert!(
        text.contains("cm-gateway") && text.contains("cargo build --workspace --bins"),
        "{text}"
    );
}

#[test]
fn a_taken_port_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (ok, text) = run(&[
        "up",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--port",
        &port,
    ]);
    assert!(!ok);
    assert!(
        text.contains(&format!("port {port}")) && text.contains("--port"),
        "{text}"
    );
}
