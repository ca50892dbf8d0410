//! Hermetic real dependencies for integration tests.
//!
//! The process machinery (children that die with the test process, the nats-server and Postgres
//! launchers, binary lookup) lives in `cm-local-infra`, which `codex-manager up` uses too; this
//! crate adds throw-away directories, free ports and test conveniences on top.
//!
//! Tests talk to a real `nats-server` with JetStream ([`NatsServer`]), a real Postgres
//! ([`Postgres`]) and the real `codex app-server` (configured by [`CodexHome`]), each started on
//! free loopback ports with throw-away data directories and stopped and removed on drop, even
//! when the test panics. The machine's own services (127.0.0.1:4222, :5432) are never used,
//! except Postgres when `DATABASE_URL` says so.
//!
//! Error policy: this is a test tool, so every fallible function returns [`anyhow::Result`] with
//! context; errors about a child process end with the tail of its log. Every wait has a timeout.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let nats = cm_test_support::NatsServer::start().await?;
//! let pg = cm_test_support::Postgres::start().await?;
//! let db_url = pg.create_database("session").await?;
//! # let _ = (nats.url(), db_url);
//! # Ok(())
//! # }
//! ```

mod codex;
mod nats;
mod postgres;
pub mod process;

use std::path::{Path, PathBuf};
use std::sync::Once;

/// Polls a closure until it returns `Ok`, with a timeout (see [`cm_local_infra::wait_for`]).
pub use cm_local_infra::wait_for;
pub use codex::{CodexHome, MOCK_API_KEY, codex_bin};
pub use nats::NatsServer;
pub use postgres::Postgres;

/// A loopback TCP port that was free a moment ago (see [`cm_local_infra::free_port`]); never
/// the same port twice within one process. Panics if no loopback port can be bound at all.
pub fn free_port() -> u16 {
    cm_local_infra::free_port().unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"))
}

/// The root of this workspace (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// Installs a tracing subscriber that writes to the test output, only when `TEST_LOG` is set.
///
/// The filter comes from `RUST_LOG` (default `info`). Safe to call from every test.
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_none() {
            return;
        }
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}
