//! A persistent cluster: initdb once, data reused, password required, stale pid file cleared.

use std::process::Command;

use cm_local_infra::bins::pg_bin_dir;
use cm_local_infra::postgres::{PgCluster, PgConfig, connect, create_database_if_missing};
use cm_local_infra::process::ChildProcess;
use cm_local_infra::user::RunAs;

fn config(root: &std::path::Path, logs: &std::path::Path) -> PgConfig {
    PgConfig {
        bin_dir: pg_bin_dir(None).unwrap(),
        root: root.to_path_buf(),
        log_path: logs.join("postgres.log"),
        port: None,
        run_as: RunAs::postgres_if_root().unwrap(),
        durable: false,
        password: true,
    }
}

#[tokio::test]
async fn the_cluster_is_reused_and_a_stale_pid_file_does_not_block_it() {
    // Under /tmp: as root, the postgres user must reach the root; temp dirs are 0700.
    let dir = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    let logs = tempfile::tempdir().unwrap();
    let root = dir.path().join("pg");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o711),
    )
    .unwrap();

    let mut cluster = PgCluster::start(config(&root, logs.path())).await.unwrap();
    assert!(cluster.was_initialized());
    let url = cluster.url("postgres");
    assert!(url.starts_with("postgres://postgres:"), "{url}");
    assert!(create_database_if_missing(&url, "app").await.unwrap());
    assert!(!create_database_if_missing(&url, "app").await.unwrap());
    let client = connect(&cluster.url("app")).await.unwrap();
    client
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (7)")
        .await
        .unwrap();
    // The password is required.
    let no_password = format!("postgres://postgres@127.0.0.1:{}/app", cluster.port());
    assert!(connect(&no_password).await.is_err());
    cluster.stop().await.unwrap();
    drop(cluster);

    // A crashed run leaves postmaster.pid behind; its pid may even be alive (reused).
    let squatter = ChildProcess::spawn(
        "sleep",
        {
            let mut cmd = Command::new("sleep");
            cmd.arg("1000");
            cmd
        },
        &logs.path().join("sleep.log"),
    )
    .unwrap();
    let pid_file = root.join("data/postmaster.pid");
    std::fs::write(
        &pid_file,
        format!("{}\n{}\n", squatter.pid(), root.display()),
    )
    .unwrap();

    let cluster = PgCluster::start(config(&root, logs.path())).await.unwrap();
    assert!(!cluster.was_initialized());
    let client = connect(&cluster.url("app")).await.unwrap();
    let row = client.query_one("SELECT v FROM t", &[]).await.unwrap();
    assert_eq!(row.try_get::<_, i32>(0).unwrap(), 7);
    let pid_in_file = std::fs::read_to_string(&pid_file).unwrap();
    assert_eq!(
        pid_in_file.lines().next(),
        Some(cluster.pid().unwrap().to_string().as_str())
    );
}

#[tokio::test]
async fn an_interrupted_initdb_is_started_over() {
    let dir = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o711),
    )
    .unwrap();
    let root = dir.path().join("pg");
    std::fs::create_dir_all(root.join("data.initdb/base")).unwrap();
    if let Some(user) = RunAs::postgres_if_root().unwrap() {
        user.chown(&root).unwrap();
    }
    let cluster = PgCluster::start(config(&root, dir.path())).await.unwrap();
    assert!(cluster.was_initialized());
    assert!(!root.join("data.initdb").exists());
    assert!(root.join("data/PG_VERSION").exists());
}
