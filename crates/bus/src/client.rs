//! [`Bus`]: a connected NATS client plus its JetStream context.

use std::path::PathBuf;
use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use cm_schemas::commands::Command;
use cm_schemas::{BusError, ErrorCode, Event, Reply};
use serde::{Serialize, de::DeserializeOwned};

use crate::auth::Identity;

/// Could not connect to NATS.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to NATS at {url}: {source}")]
pub struct ConnectError {
    url: String,
    #[source]
    source: async_nats::ConnectError,
}

/// An event was not stored by JetStream.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("event could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("event too large for a message and not stored: {0}")]
    Blob(#[from] crate::blobs::BlobError),
    #[error("publish to {subject} failed: {source}")]
    Publish {
        subject: String,
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
}

/// A NATS connection with the conventions of the bus.
#[derive(Clone, Debug)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    /// Who this process is on the bus: signs its requests, verifies the ones it serves.
    identity: Option<Identity>,
}

/// How to reach NATS and as whom.
#[derive(Debug, Clone, Default)]
pub struct ConnectTo {
    pub url: String,
    /// The connection name the server shows (`cm-session`...).
    pub name: String,
    /// The nkey user to log in as; `None` connects anonymously (refused by a secured server).
    pub identity: Option<Identity>,
    /// A CA certificate (PEM) to trust for a `tls://` server; setting it requires TLS.
    pub tls_ca: Option<PathBuf>,
}

impl Bus {
    /// Connects anonymously, retrying in the background if NATS is not up yet.
    pub async fn connect(url: &str, name: &str) -> Result<Self, ConnectError> {
        Self::connect_to(ConnectTo {
            url: url.to_owned(),
            name: name.to_owned(),
            ..Default::default()
        })
        .await
    }

    /// Connects as `to.identity`, retrying in the background if NATS is not up yet: a service
    /// starts in any order and reconnects for ever after a NATS restart.
    pub async fn connect_to(to: ConnectTo) -> Result<Self, ConnectError> {
        let mut options = async_nats::ConnectOptions::new()
            .name(&to.name)
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5));
        if let Some(identity) = &to.identity {
            options = options
                .nkey(identity.seed())
                .custom_inbox_prefix(identity.principal().inbox_prefix());
        }
        if let Some(ca) = &to.tls_ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        let client = options
            .connect(&to.url)
            .await
            .map_err(|source| ConnectError {
                url: to.url.clone(),
                source,
            })?;
        Ok(Self::from_client(client).with_identity(to.identity))
    }

    /// A bus over an existing client, with no identity (its requests are unsigned).
    pub fn from_client(client: async_nats::Client) -> Self {
        let js = jetstream::new(client.clone());
        Self {
            client,
            js,
            identity: None,
        }
    }

    /// The same connection signing as `identity` (which must be the user it logged in as).
    pub fn with_identity(mut self, identity: Option<Identity>) -> Self {
        self.identity = identity;
        self
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// Unsubscribes everything at once and closes the connection once in-flight messages are
    /// handled. Services call it last on shutdown: without it the server keeps routing requests
    /// to a stopped service's subscriptions for a moment, and a caller waits out its time-out
    /// instead of getting `no responders` (or the restarted instance).
    pub async fn close(&self) {
        if let Err(e) = self.client.drain().await {
            tracing::debug!(error = %e, "drain on close failed");
        }
    }

    /// Whether the connection is currently up.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Publishes an event to `CM_EVENTS` and waits for JetStream to store it. Returns the stream
    /// sequence. The event id is the `Nats-Msg-Id`, so retrying the same event is harmless. An
    /// event larger than a message is stored whole in the blob store and published as a preview
    /// ([`crate::blobs`]).
    pub async fn publish_event(&self, event: &Event) -> Result<u64, PublishError> {
        let subject = event.subject();
        let (payload, blob) =
            crate::blobs::fit_event(self, event, serde_json::to_vec(event)?).await?;
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.id.to_string().as_str());
        if let Some(name) = &blob {
            headers.insert(crate::BLOB_HEADER, name.as_str());
        }
        cm_telemetry::inject_current(&mut headers);
        let publish = |subject: String| async {
            self.js
                .publish_with_headers(subject, headers.clone(), payload.clone().into())
                .await?
                .await
        };
        // One retry covers a reconnect in progress; the msg id makes the retry idempotent.
        let ack = match publish(subject.clone()).await {
            Ok(ack) => ack,
            Err(first) => {
                tracing::warn!(error = %first, %subject, "event publish failed, retrying once");
                tokio::time::sleep(Duration::from_millis(250)).await;
                publish(subject.clone())
                    .await
                    .map_err(|source| PublishError::Publish { subject, source })?
            }
        };
        Ok(ack.sequence)
    }

    /// Sends a command and decodes its [`Reply`]. Transport failures become typed errors:
    /// no responders → `unavailable` (with the subject), time-out → `timeout`.
    pub async fn request<Req, Resp>(
        &self,
        subject: &str,
        body: &Req,
        timeout: Duration,
    ) -> Result<Resp, BusError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.request_as(subject, body, timeout, None).await
    }

    /// Sends command `C` of the table ([`cm_schemas::commands`]): [`Bus::request`] with the
    /// subject, request and answer types checked against the table.
    pub async fn call<C: Command>(
        &self,
        body: &C::Request,
        timeout: Duration,
    ) -> Result<C::Response, BusError> {
        self.request(&C::subject(), body, timeout).await
    }

    /// [`Bus::call`] on behalf of `actor` (see [`Bus::request_as`]).
    pub async fn call_as<C: Command>(
        &self,
        body: &C::Request,
        timeout: Duration,
        actor: Option<&str>,
    ) -> Result<C::Response, BusError> {
        self.request_as(&C::subject(), body, timeout, actor).await
    }

    /// [`Bus::request`] on behalf of `actor` (the [`crate::ACTOR_HEADER`]): a system component
    /// (`system:<name>`) acting on the sessions it owns. The serving side honours the actor only
    /// if this bus's identity may name it ([`crate::auth::signing::resolve_actor`]).
    pub async fn request_as<Req, Resp>(
        &self,
        subject: &str,
        body: &Req,
        timeout: Duration,
        actor: Option<&str>,
    ) -> Result<Resp, BusError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let payload = serde_json::to_vec(body)
            .map_err(|e| BusError::internal(format!("request encoding failed: {e}")))?;
        let mut headers = HeaderMap::new();
        cm_telemetry::inject_current(&mut headers);
        if let Some(actor) = actor {
            headers.insert(crate::ACTOR_HEADER, actor);
        }
        if let Some(identity) = &self.identity {
            identity.sign(subject, actor, &payload, &mut headers);
        }
        let request = async_nats::Request::new()
            .payload(payload.into())
            .headers(headers)
            .timeout(Some(timeout));
        let msg = self
            .client
            .send_request(subject.to_owned(), request)
            .await
            .map_err(|e| request_error(subject, e))?;
        // An answer larger than a message waits in the reply blob store (crate::blobs).
        let blob = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(crate::BLOB_HEADER))
            .map(|v| v.as_str().to_owned());
        let body = match &blob {
            Some(name) => {
                let body = self
                    .get_blob(crate::blobs::REPLY_BLOBS, name)
                    .await
                    .map_err(|e| {
                        BusError::unavailable("nats", format!("large answer from {subject}: {e}"))
                    })?;
                self.delete_blob(crate::blobs::REPLY_BLOBS, name).await;
                body.into()
            }
            None => msg.payload,
        };
        let reply: Reply<Resp> = serde_json::from_slice(&body)
            .map_err(|e| BusError::internal(format!("malformed reply from {subject}: {e}")))?;
        reply.into()
    }
}

fn request_error(subject: &str, e: async_nats::RequestError) -> BusError {
    use async_nats::RequestErrorKind as K;
    let service = subject.split('.').nth(2).unwrap_or(subject);
    match e.kind() {
        K::NoResponders => BusError::unavailable(
            service,
            format!("no service answers {subject}: is the {service} service running?"),
        ),
        K::TimedOut => BusError::new(ErrorCode::Timeout, format!("{subject} timed out"))
            .with_details(serde_json::json!({ "dependency": service })),
        K::MaxPayloadExceeded => BusError::new(
            ErrorCode::PayloadTooLarge,
            format!("request to {subject} exceeds the NATS max payload"),
        ),
        K::InvalidSubject => BusError::validation("subject", format!("invalid subject {subject}")),
        K::Other => BusError::unavailable("nats", format!("request to {subject} failed: {e}")),
    }
}
