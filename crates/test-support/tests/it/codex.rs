//! CodexHome writes a config that the real codex accepts.

use std::time::Duration;

use cm_test_support::{CodexHome, codex_bin};

async fn print_startup_config(codex: &std::path::Path, home: &CodexHome) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(codex);
    cmd.args(["app-server", "--strict-config", "--print-startup-config"])
        .envs(home.envs())
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("codex --print-startup-config timed out")
        .unwrap()
}

#[tokio::test]
async fn codex_accepts_the_config() {
    let Some(codex) = codex_bin() else {
        eprintln!("SKIPPED: no codex binary (set CODEX_BIN or install it under .tools/codex)");
        return;
    };
    let home = CodexHome::create("http://127.0.0.1:9/v1").unwrap();
    let path = home.path().to_path_buf();
    assert!(!path.starts_with("/tmp"), "{}", path.display());
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    assert!(
        config.contains("base_url = \"http://127.0.0.1:9/v1\""),
        "{config}"
    );

    let output = print_startup_config(&codex, &home).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "codex rejected the config:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");

    // The check is real: strict mode rejects an unknown key.
    std::fs::write(
        home.config_path(),
        format!("{config}\nnot_a_codex_key = 1\n"),
    )
    .unwrap();
    let output = print_startup_config(&codex, &home).await;
    assert!(
        !output.status.success(),
        "--strict-config accepted an unknown key"
    );

    drop(home);
    assert!(!path.exists(), "{} survived drop", path.display());
}
