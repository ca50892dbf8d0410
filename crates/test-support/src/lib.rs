//! Hermetic real dependencies for integration tests.
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

use std::collections::HashSet;
use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

pub use codex::{CodexHome, MOCK_API_KEY, codex_bin};
pub use nats::NatsServer;
pub use postgres::Postgres;

/// A loopback TCP port that was free a moment ago (bind `127.0.0.1:0`, then release it).
///
/// Never returns the same port twice within one process, so parallel tests do not collide
/// with each other; a collision with another process is still possible, and the servers in this
/// crate retry with a new port when their bind fails.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let mut guard = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if guard.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
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

/// Polls `f` until it returns `Ok`, for conditions that have no event to wait on.
///
/// `Err` means "not yet"; after `timeout` the error names `what` and quotes the last `Err`.
/// The interval starts at 5 ms and doubles up to 100 ms; an attempt that hangs is cut off at
/// the deadline.
pub async fn wait_for<F, Fut, T>(what: &str, timeout: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(5);
    let mut last_error = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, f()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => last_error = Some(e),
            Err(_) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let last = last_error.map_or("none".to_owned(), |e| format!("{e:#}"));
            anyhow::bail!("timed out after {timeout:?} waiting for {what} (last error: {last})");
        }
        tokio::time::sleep(interval.min(left)).await;
        interval = (interval * 2).min(Duration::from_millis(100));
    }
}
