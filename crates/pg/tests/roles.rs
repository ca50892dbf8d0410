//! Each service's own role: it migrates and works in its schema, cannot reach the other's or
//! create in `public`; and a database migrated before the roles existed is handed over.

#![allow(clippy::unwrap_used)]

use cm_pg::roles::{self, ROLES};
use cm_test_support::Postgres;

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

fn password(r: &roles::ServiceRole) -> String {
    format!("pw-{}", r.role)
}

#[tokio::test]
async fn each_service_reaches_only_its_own_schema_and_an_older_database_is_handed_over() {
    let pg = Postgres::start().await.unwrap();
    let admin_url = pg.create_database("roles").await.unwrap();
    // The way it was: both services migrated as the administrator, history tables in public.
    cm_session::migrate(&admin_url).await.unwrap();
    cm_queue_worker::migrate(&admin_url).await.unwrap();

    let admin = connect(&admin_url).await;
    roles::ensure(&admin, password).await.unwrap();
    // Twice: it runs at every start.
    roles::ensure(&admin, password).await.unwrap();

    let url = |service: &str| {
        let r = roles::of(service).unwrap();
        roles::url_for(&admin_url, r, &password(r)).unwrap()
    };
    let (session_url, queue_url) = (url("cm-session"), url("cm-queue-worker"));
    // Migrating again as the service's role finds the history (moved into its schema): no
    // migration runs twice, and later ones would run as the owner.
    cm_session::migrate(&session_url).await.unwrap();
    cm_queue_worker::migrate(&queue_url).await.unwrap();

    let session = connect(&session_url).await;
    session
        .batch_execute(
            "SELECT count(*) FROM session.sessions; SELECT count(*) FROM cm_session_migrations",
        )
        .await
        .unwrap();
    let denied = |e: tokio_postgres::Error| e.code().map(|c| c.code().to_owned());
    let err = session
        .batch_execute("SELECT count(*) FROM queue.jobs")
        .await
        .unwrap_err();
    assert_eq!(
        denied(err).as_deref(),
        Some("42501"),
        "session read queue.jobs"
    );
    let err = session
        .batch_execute("CREATE TABLE public.stray (x int)")
        .await
        .unwrap_err();
    assert_eq!(
        denied(err).as_deref(),
        Some("42501"),
        "session created in public"
    );

    let queue = connect(&queue_url).await;
    queue
        .batch_execute("SELECT count(*) FROM queue.jobs")
        .await
        .unwrap();
    let err = queue
        .batch_execute("SELECT count(*) FROM session.sessions")
        .await
        .unwrap_err();
    assert_eq!(
        denied(err).as_deref(),
        Some("42501"),
        "queue read session.sessions"
    );

    // Nothing of the services is left in public, and every role has its row.
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(left, 0);
    for r in ROLES {
        let owner: String = admin
            .query_one(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1",
                &[&r.schema],
            )
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(owner, r.role);
    }
}

/// What `up`, compose and Kubernetes do: `apply` with password files, then each service given
/// the database's location and its password file logs in as its own role.
#[tokio::test]
async fn on_an_empty_database_the_services_migrate_as_their_roles() {
    let pg = Postgres::start().await.unwrap();
    let admin_url = pg.create_database("roles_new").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let passwords = roles::Passwords::ensure(dir.path()).unwrap();
    roles::apply(&admin_url, &passwords).await.unwrap();
    for r in ROLES {
        let args = cm_pg::DbArgs {
            database_url: admin_url.clone(),
            database_password_file: Some(passwords.file_of(r)),
        };
        let url = args.url(r.service).unwrap();
        assert!(url.starts_with(&format!("postgres://{}:", r.role)), "{url}");
        match r.service {
            "cm-session" => cm_session::migrate(&url).await.unwrap(),
            _ => cm_queue_worker::migrate(&url).await.unwrap(),
        }
    }
    let session =
        connect(&roles::url_for(&admin_url, &ROLES[0], passwords.of(&ROLES[0])).unwrap()).await;
    let history: i64 = session
        .query_one("SELECT count(*) FROM session.cm_session_migrations", &[])
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(history > 0);
}
