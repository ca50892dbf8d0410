//! Requests signed with the sender's NATS key, so the serving side knows who sent them.
//!
//! nats-server authenticates each connection but tells a subscriber nothing about a message's
//! sender. So a sender with an [`Identity`] signs every request with the same nkey it logged in
//! with: `Cm-Signer` (its public key), `Cm-Signed-At` (Unix milliseconds) and `Cm-Signature`
//! (Ed25519, base64url, over `cm-bus-v1\n<subject>\n<actor>\n<signed-at>\n<sha256 hex of the
//! body>`). The server checks the key against `principals.json` and the time against
//! [`MAX_SKEW`]; replaying a captured request would need a subscription to the command subject,
//! which only the serving service has. [`resolve_actor`] then decides which actor the handler
//! sees.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use async_nats::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cm_schemas::{BusError, ErrorCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Principal, PrincipalKeys};

pub const SIGNER_HEADER: &str = "Cm-Signer";
pub const SIGNED_AT_HEADER: &str = "Cm-Signed-At";
pub const SIGNATURE_HEADER: &str = "Cm-Signature";
/// How far a signature's time may be from the receiver's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// This process's bus user: its key, and the public keys of everyone it may hear from.
#[derive(Clone)]
pub struct Identity {
    principal: Principal,
    pair: Arc<nkeys::KeyPair>,
    seed: Arc<str>,
    principals: Arc<PrincipalKeys>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("principal", &self.principal)
            .field("public_key", &self.pair.public_key())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Reads a seed file and the principals file; the seed must be one of the principals.
    pub fn load(seed_file: &Path, principals_file: &Path) -> anyhow::Result<Self> {
        let seed = std::fs::read_to_string(seed_file)
            .with_context(|| format!("reading the NATS key {}", seed_file.display()))?;
        let principals = PrincipalKeys::load(principals_file)?;
        Self::new(seed.trim(), principals)
    }

    pub fn new(seed: &str, principals: PrincipalKeys) -> anyhow::Result<Self> {
        let pair = nkeys::KeyPair::from_seed(seed).context("not a valid nkey seed")?;
        let principal = principals
            .principal_of(&pair.public_key())
            .with_context(|| {
                format!(
                    "the NATS key {} is not among the bus principals",
                    pair.public_key()
                )
            })?;
        Ok(Self {
            principal,
            pair: Arc::new(pair),
            seed: seed.into(),
            principals: Arc::new(principals),
        })
    }

    pub fn principal(&self) -> Principal {
        self.principal
    }

    /// The seed, for the NATS login.
    pub fn seed(&self) -> String {
        self.seed.to_string()
    }

    /// Adds the signature headers for a request to `subject` with `body`.
    pub fn sign(&self, subject: &str, actor: Option<&str>, body: &[u8], headers: &mut HeaderMap) {
        let at = now_millis().to_string();
        let message = signed_message(subject, actor, &at, body);
        // Signing with a valid seed cannot fail; a request without a signature is merely
        // anonymous, so a failure is logged rather than fatal.
        match self.pair.sign(&message) {
            Ok(signature) => {
                headers.insert(SIGNER_HEADER, self.pair.public_key().as_str());
                headers.insert(SIGNED_AT_HEADER, at.as_str());
                headers.insert(SIGNATURE_HEADER, URL_SAFE_NO_PAD.encode(signature).as_str());
            }
            Err(e) => tracing::warn!(error = %e, "request not signed"),
        }
    }

    /// Who sent a request, by its signature headers.
    pub fn verify(&self, subject: &str, headers: Option<&HeaderMap>, body: &[u8]) -> Caller {
        let get = |name| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
        let Some(signer) = get(SIGNER_HEADER) else {
            return Caller::Unsigned;
        };
        let Some(principal) = self.principals.principal_of(signer) else {
            return Caller::Refused(format!("{signer} is not a bus principal"));
        };
        let (Some(at), Some(signature)) = (get(SIGNED_AT_HEADER), get(SIGNATURE_HEADER)) else {
            return Caller::Refused("incomplete signature headers".to_owned());
        };
        let fresh = at
            .parse::<u64>()
            .is_ok_and(|at| now_millis().abs_diff(at) <= MAX_SKEW.as_millis() as u64);
        if !fresh {
            return Caller::Refused(format!("signature time {at} is not within 5 minutes"));
        }
        let actor = get(crate::ACTOR_HEADER);
        let valid = URL_SAFE_NO_PAD.decode(signature).is_ok_and(|sig| {
            nkeys::KeyPair::from_public_key(signer)
                .and_then(|key| key.verify(&signed_message(subject, actor, at, body), &sig))
                .is_ok()
        });
        if valid {
            Caller::Signed(principal)
        } else {
            Caller::Refused("the signature does not match".to_owned())
        }
    }
}

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Signed by this principal's key.
    Signed(Principal),
    /// No signature: some authenticated NATS user whose permissions allow the subject.
    Unsigned,
    /// A signature that does not hold, and why.
    Refused(String),
}

/// The actor a handler sees, from the verified caller and the actor it claims
/// ([`crate::ACTOR_HEADER`]):
/// - the gateway names the HTTP user it authenticated (`user:<name>`, default `user:api`);
/// - a service acts as `system:<service>` or a `system:<owner>` it names;
/// - `automation` acts as `automation` or `automation:<name>`; `admin` as anything it names;
/// - an unsigned request has no actor, and may not claim one.
///
/// Any other claim is refused with `forbidden`, never silently downgraded.
pub fn resolve_actor(caller: &Caller, claimed: Option<&str>) -> Result<Option<String>, BusError> {
    let refuse = |reason: &str, why: String| {
        Err(BusError::new(ErrorCode::Forbidden, why)
            .with_details(json!({ "reason": reason, "actor": claimed })))
    };
    let principal = match caller {
        Caller::Refused(why) => return refuse("bad_signature", format!("request refused: {why}")),
        Caller::Unsigned => {
            return match claimed {
                None => Ok(None),
                Some(actor) => refuse(
                    "unsigned_actor",
                    format!("actor {actor} needs a request signed by a bus principal"),
                ),
            };
        }
        Caller::Signed(principal) => *principal,
    };
    let claim_ok = |prefix: &str| claimed.is_none_or(|a| a.starts_with(prefix));
    let default = match principal {
        Principal::Admin => return Ok(Some(claimed.unwrap_or("admin").to_owned())),
        Principal::Gateway if claim_ok("user:") => "user:api".to_owned(),
        Principal::Automation
            if claimed.is_none_or(|a| a == "automation") || claim_ok("automation:") =>
        {
            "automation".to_owned()
        }
        p if p.is_service() && p != Principal::Gateway && claim_ok("system:") => {
            format!("system:{p}")
        }
        p => {
            return refuse(
                "actor_not_allowed",
                format!("{p} may not act as {}", claimed.unwrap_or_default()),
            );
        }
    };
    Ok(Some(claimed.map(str::to_owned).unwrap_or(default)))
}

fn signed_message(subject: &str, actor: Option<&str>, at: &str, body: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "cm-bus-v1\n{subject}\n{}\n{at}\n{hex}",
        actor.unwrap_or_default()
    )
    .into_bytes()
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;

    fn identities() -> (tempfile::TempDir, Credentials) {
        let dir = tempfile::tempdir().unwrap();
        let creds = Credentials::ensure(dir.path()).unwrap();
        (dir, creds)
    }

    fn identity(creds: &Credentials, p: Principal) -> Identity {
        Identity::load(&creds.seed_file(p), &creds.principals_file()).unwrap()
    }

    #[test]
    fn a_signature_names_its_signer_and_breaks_on_any_change() {
        let (_dir, creds) = identities();
        let gateway = identity(&creds, Principal::Gateway);
        let session = identity(&creds, Principal::Session);
        let mut headers = HeaderMap::new();
        headers.insert(crate::ACTOR_HEADER, "user:web");
        gateway.sign("cm.v1.session.get", Some("user:web"), b"{}", &mut headers);
        let caller = session.verify("cm.v1.session.get", Some(&headers), b"{}");
        assert_eq!(caller, Caller::Signed(Principal::Gateway));
        // Another body, subject or actor: refused.
        assert!(matches!(
            session.verify("cm.v1.session.get", Some(&headers), b"{ }"),
            Caller::Refused(_)
        ));
        assert!(matches!(
            session.verify("cm.v1.session.delete", Some(&headers), b"{}"),
            Caller::Refused(_)
        ));
        headers.insert(crate::ACTOR_HEADER, "system:queue");
        assert!(matches!(
            session.verify("cm.v1.session.get", Some(&headers), b"{}"),
            Caller::Refused(_)
        ));
        assert_eq!(session.verify("s", None, b""), Caller::Unsigned);
    }

    #[test]
    fn only_the_gateway_names_users_and_only_services_name_systems() {
        let signed = |p| Caller::Signed(p);
        let ok = |c: &Caller, a: Option<&str>| resolve_actor(c, a).unwrap();
        let refused = |c: &Caller, a: Option<&str>| resolve_actor(c, a).unwrap_err().code;
        let gw = signed(Principal::Gateway);
        assert_eq!(ok(&gw, Some("user:web")).as_deref(), Some("user:web"));
        assert_eq!(ok(&gw, None).as_deref(), Some("user:api"));
        assert_eq!(refused(&gw, Some("system:queue")), ErrorCode::Forbidden);
        let qw = signed(Principal::QueueWorker);
        assert_eq!(ok(&qw, None).as_deref(), Some("system:queue-worker"));
        assert_eq!(
            ok(&qw, Some("system:queue")).as_deref(),
            Some("system:queue")
        );
        assert_eq!(refused(&qw, Some("user:alice")), ErrorCode::Forbidden);
        let auto = signed(Principal::Automation);
        assert_eq!(ok(&auto, None).as_deref(), Some("automation"));
        assert_eq!(
            ok(&auto, Some("automation:bot")).as_deref(),
            Some("automation:bot")
        );
        assert_eq!(refused(&auto, Some("system:queue")), ErrorCode::Forbidden);
        assert_eq!(refused(&auto, Some("user:alice")), ErrorCode::Forbidden);
        assert_eq!(ok(&Caller::Unsigned, None), None);
        assert_eq!(
            refused(&Caller::Unsigned, Some("system:queue")),
            ErrorCode::Forbidden
        );
        let forged = Caller::Refused("x".into());
        assert_eq!(refused(&forged, None), ErrorCode::Forbidden);
    }
}
