//! Replicas starting together on one empty database migrate one after the other (the advisory
//! lock), so all start: for both services that migrate; and TLS is asked for when told to.

#![allow(clippy::unwrap_used)]

use cm_test_support::Postgres;

#[tokio::test]
async fn replicas_migrating_one_empty_database_at_once_all_succeed() {
    let pg = Postgres::start().await.unwrap();
    let url = pg.create_database("migrate").await.unwrap();
    // Three session services and three queue workers, all at once on one database.
    let runs: Vec<_> = (0..6)
        .map(|n| {
            let url = url.clone();
            tokio::spawn(async move {
                if n % 2 == 0 {
                    cm_session::migrate(&url).await
                } else {
                    cm_queue_worker::migrate(&url).await
                }
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let applied: i64 = client
        .query_one("SELECT count(*) FROM cm_session_migrations", &[])
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let files = |dir: &str| std::fs::read_dir(dir).unwrap().count() as i64;
    assert_eq!(
        applied,
        files(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../services/session/migrations"
        ))
    );
    let applied: i64 = client
        .query_one("SELECT count(*) FROM cm_queue_migrations", &[])
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(
        applied,
        files(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../services/queue-worker/migrations"
        ))
    );
}

/// `sslmode=require` really asks the server for TLS (the private test cluster has none, so the
/// connection is refused rather than silently made in plain text); without it, plain TCP.
#[tokio::test]
async fn sslmode_require_insists_on_tls() {
    let pg = Postgres::start().await.unwrap();
    let url = pg.create_database("tls").await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let err = cm_session::migrate(&format!("{url}{sep}sslmode=require"))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").to_lowercase().contains("tls"), "{err:#}");
    cm_session::migrate(&url).await.unwrap();
}
