//! Local process machinery shared by `codex-manager up` and the integration tests.
//!
//! - [`process::ChildProcess`]: a child that cannot outlive this process (parent-death signal
//!   set from a dedicated spawner thread), with its output in a log file, optionally also handed
//!   line by line to a callback.
//! - [`bins`]: where `nats-server`, the Postgres binaries and the native `codex` are found.
//! - [`nats::NatsServer`] and [`postgres::PgCluster`]: launchers parameterized by directory and
//!   port, so the same code runs a throw-away server in a temp dir (tests) and a persistent one
//!   in a data directory (`up`: `initdb` only once, data reused, a stale `postmaster.pid` from a
//!   crashed run cleared).
//! - [`user::RunAs`]: Postgres refuses to run as root, so under euid 0 it runs as `postgres`.
//!
//! Error policy: both users of this crate are tools that show errors to a person, so fallible
//! functions return [`anyhow::Result`] with context, and an error about a child process ends with
//! the tail of its log. Every wait has a timeout.

pub mod bins;
pub mod codex;
pub mod nats;
pub mod postgres;
pub mod process;
pub mod user;

mod ports;
mod wait;

pub use ports::free_port;
pub use wait::wait_for;
