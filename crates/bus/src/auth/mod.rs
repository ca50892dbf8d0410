//! Who is on the bus, and what each may do there.
//!
//! Every process connects to NATS as its own nkey user ([`Principal`]); nats-server refuses an
//! anonymous client and confines each user to the subjects of [`permissions`]. A command's actor
//! comes from the same key: the sender signs each request with it ([`signing`]), and the serving
//! side takes the actor from the verified signer, never from a bare header. Only the gateway may
//! name a `user:` actor (it authenticated the HTTP caller), only the services a `system:` one.
//!
//! [`credentials`] generates the keys (`codex-manager up`, `codex-manager bus credentials`) and
//! renders the server's `authorization` block from [`permissions`].

pub mod credentials;
pub mod permissions;
pub mod signing;

pub use credentials::{Credentials, PrincipalKeys};
pub use signing::{Caller, Identity};

/// A NATS user of the bus. The four services, the documented `automation` user for NATS-level
/// clients (extensions, scripts), and `admin`, the operator's break-glass user with every
/// permission (the `nats` CLI, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Principal {
    Gateway,
    Session,
    RuntimeBridge,
    QueueWorker,
    Automation,
    Admin,
}

impl Principal {
    pub const ALL: [Principal; 6] = [
        Principal::Gateway,
        Principal::Session,
        Principal::RuntimeBridge,
        Principal::QueueWorker,
        Principal::Automation,
        Principal::Admin,
    ];

    /// The name used in file names, inbox prefixes and actors.
    pub fn name(self) -> &'static str {
        match self {
            Principal::Gateway => "gateway",
            Principal::Session => "session",
            Principal::RuntimeBridge => "runtime-bridge",
            Principal::QueueWorker => "queue-worker",
            Principal::Automation => "automation",
            Principal::Admin => "admin",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The prefix of this user's reply inboxes: each user may subscribe to its own only, so no
    /// one reads another's answers.
    pub fn inbox_prefix(self) -> String {
        format!("_INBOX.{}", self.name())
    }

    /// One of the four services (which act as `system:<name>`).
    pub fn is_service(self) -> bool {
        matches!(
            self,
            Principal::Gateway
                | Principal::Session
                | Principal::RuntimeBridge
                | Principal::QueueWorker
        )
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
