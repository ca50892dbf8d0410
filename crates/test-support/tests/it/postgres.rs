//! Postgres: private cluster, create_database, restart/kill, DATABASE_URL mode, cleanup.

use std::time::Instant;

use cm_test_support::{Postgres, init_tracing};

use crate::{children_of, pid_exists, wait_pid_gone};

async fn query_i64(url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one(sql, &[])
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn private_cluster_keeps_data_across_restart_and_kill() {
    init_tracing();
    let started = Instant::now();
    let mut pg = Postgres::start_private().await.unwrap();
    println!(
        "Postgres::start (private cluster) took {:?}",
        started.elapsed()
    );
    assert!(pg.is_private());
    assert!(
        pg.url().starts_with("postgres://postgres@127.0.0.1:"),
        "{}",
        pg.url()
    );
    assert!(!pg.url().contains(":5432/"));

    let client = pg.connect().await.unwrap();
    client
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1);")
        .await
        .unwrap();

    let started = Instant::now();
    pg.restart().await.unwrap();
    println!("Postgres::restart took {:?}", started.elapsed());
    assert!(client.is_closed() || client.simple_query("SELECT 1").await.is_err());
    assert_eq!(query_i64(&pg.url(), "SELECT sum(v)::int8 FROM t").await, 1);

    let client = pg.connect().await.unwrap();
    client
        .batch_execute("INSERT INTO t VALUES (2)")
        .await
        .unwrap();
    let pid = pg.pid().unwrap();
    pg.kill().await.unwrap();
    wait_pid_gone(pid).await.unwrap();
    assert!(pg.connect().await.is_err());

    pg.restart().await.unwrap();
    assert_eq!(query_i64(&pg.url(), "SELECT sum(v)::int8 FROM t").await, 3);

    pg.stop().await.unwrap();
    assert_eq!(pg.pid(), None);
    assert!(pg.connect().await.is_err());
    pg.restart().await.unwrap();
    assert_eq!(query_i64(&pg.url(), "SELECT count(*) FROM t").await, 2);
}

#[tokio::test]
async fn create_database_gives_separate_databases() {
    init_tracing();
    let pg = Postgres::start_private().await.unwrap();
    let a = pg.create_database("Service-A").await.unwrap();
    let b = pg.create_database("service_b").await.unwrap();
    assert_ne!(a, b);
    assert!(a.contains("/service_a_"), "{a}");

    let (client_a, connection) = tokio_postgres::connect(&a, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client_a
        .batch_execute("CREATE TABLE only_in_a (v int)")
        .await
        .unwrap();
    let in_b = query_i64(
        &b,
        "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
    )
    .await;
    assert_eq!(in_b, 0);
    let in_a = query_i64(
        &a,
        "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
    )
    .await;
    assert_eq!(in_a, 1);
}

#[tokio::test]
async fn drop_leaves_no_process_and_no_directory() {
    init_tracing();
    let pg = Postgres::start_private().await.unwrap();
    // Keep a session open so a backend process exists too.
    let client = pg.connect().await.unwrap();
    client.simple_query("SELECT 1").await.unwrap();
    let postmaster = pg.pid().unwrap();
    let children = children_of(postmaster);
    assert!(
        !children.is_empty(),
        "postmaster {postmaster} has no children?"
    );
    let dir = pg.log_path().unwrap().parent().unwrap().to_path_buf();
    assert!(dir.exists());

    drop(pg);
    assert!(
        !pid_exists(postmaster),
        "postmaster {postmaster} survived drop"
    );
    for child in children {
        // The postmaster reaps its children before it exits on SIGQUIT.
        assert!(!pid_exists(child), "postgres child {child} survived drop");
    }
    assert!(!dir.exists(), "{} survived drop", dir.display());
}

/// Needs a Postgres on 127.0.0.1:5432 that trusts the `postgres` role, which this project's dev
/// machine has and others may not. Run with `cargo test -p cm-test-support -- --ignored`;
/// `CM_SYSTEM_DATABASE_URL` overrides the URL.
#[tokio::test]
#[ignore = "needs the machine's Postgres on 127.0.0.1:5432"]
async fn database_url_mode_creates_and_drops_a_fresh_database() {
    init_tracing();
    let admin = std::env::var("CM_SYSTEM_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let started = Instant::now();
    let mut pg = Postgres::start_external(&admin).await.unwrap();
    println!(
        "Postgres::start (DATABASE_URL) took {:?}",
        started.elapsed()
    );
    assert!(!pg.is_private());
    let url = pg.url();
    let own = url.rsplit('/').next().unwrap().to_owned();
    assert!(own.starts_with("cm_test_"), "{url}");
    let extra = pg.create_database("extra").await.unwrap();
    let extra_name = extra.rsplit('/').next().unwrap().to_owned();

    // Keep a session open: drop must still succeed (WITH (FORCE)).
    let client = pg.connect().await.unwrap();
    client
        .batch_execute("CREATE TABLE t (v int)")
        .await
        .unwrap();
    assert!(
        pg.restart().await.is_err(),
        "restart must refuse a server that is not ours"
    );

    drop(pg);
    let remaining = query_i64(
        &admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname IN ('{own}', '{extra_name}')"),
    )
    .await;
    assert_eq!(remaining, 0);
}
