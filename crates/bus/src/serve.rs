//! Serving a command endpoint: decode the request, continue the caller's trace, run the
//! handler, answer a [`Reply`].
//!
//! Each request runs in a task of its own (at most [`CONCURRENCY`] per endpoint), so a slow
//! command never holds up the others, and a handler that panics is caught there: the caller gets
//! `internal` with the trace id, the panic is logged and counted ([`crate::health`]), and the
//! endpoint goes on serving. Nothing a client sent reaches a NATS header unchecked
//! ([`header_value`]).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_nats::HeaderMap;
use async_nats::service::{Request, endpoint::Endpoint};
use cm_schemas::commands::Command;
use cm_schemas::{BusError, Reply};
use futures::{FutureExt, StreamExt};
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::Bus;
use crate::auth::Caller;
use crate::auth::signing::resolve_actor;
use crate::health::{self, EndpointHealth};
use crate::service::Group;

/// How many requests of one endpoint run at once.
const CONCURRENCY: usize = 64;

/// NATS header values are short single lines; a longer error message is cut to this.
const HEADER_VALUE_MAX: usize = 256;

/// The NATS header naming on whose behalf a command is sent (`user:<name>` from the gateway,
/// `system:<name>` from a service). A claim only: the handler's [`actor`] is what the request's
/// signature allows ([`crate::auth::signing::resolve_actor`]).
pub const ACTOR_HEADER: &str = "Cm-Actor";

tokio::task_local! {
    static ACTOR: Option<String>;
}

/// The verified actor of the command being handled (inside a handler; `None` elsewhere or for
/// an unsigned request). A task-local, so handlers keep their plain `(ctx, request)` shape.
pub fn actor() -> Option<String> {
    ACTOR.try_with(Clone::clone).ok().flatten()
}

/// A typed command handler.
pub trait Handler<Req, Resp>: Send + Sync + 'static {
    fn call(&self, req: Req) -> impl Future<Output = Result<Resp, BusError>> + Send;
}

impl<F, Fut, Req, Resp> Handler<Req, Resp> for F
where
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Resp, BusError>> + Send,
{
    fn call(&self, req: Req) -> impl Future<Output = Result<Resp, BusError>> + Send {
        self(req)
    }
}

/// `s` as a NATS header value: one line of printable characters (CR, LF and other control
/// characters become spaces, which `HeaderValue` would otherwise panic on), at most 256 bytes.
pub fn header_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(HEADER_VALUE_MAX));
    for c in s.chars() {
        if out.len() + c.len_utf8() > HEADER_VALUE_MAX {
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// Serves `endpoint` until it closes (the service stopped). Dropping this future aborts the
/// requests still running.
pub async fn serve_endpoint<Req, Resp, H>(mut endpoint: Endpoint, bus: &Bus, handler: H)
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    H: Handler<Req, Resp>,
{
    let handler = Arc::new(handler);
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = JoinSet::new();
    let mut health: Option<Arc<EndpointHealth>> = None;
    while let Some(request) = endpoint.next().await {
        let subject = request.message.subject.to_string();
        let health = health
            .get_or_insert_with(|| health::endpoint(&subject))
            .clone();
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let handler = handler.clone();
        let bus = bus.clone();
        running.spawn(async move {
            handle(request, &bus, handler.as_ref(), &health).await;
            drop(permit);
        });
        // Reap what finished, so the set holds only running requests.
        while running.try_join_next().is_some() {}
    }
    if let Some(health) = health {
        health.stopped();
    }
    while running.join_next().await.is_some() {}
}

/// The actor the request may act as: its signature checked against this bus's principals.
fn verified_actor(request: &Request, bus: &Bus) -> Result<Option<String>, BusError> {
    let message = &request.message;
    let headers = message.headers.as_ref();
    let claimed = headers
        .and_then(|h| h.get(ACTOR_HEADER))
        .map(|v| v.as_str());
    let caller = match bus.identity() {
        Some(me) => me.verify(&message.subject, headers, &message.payload),
        // Without principals nothing can be verified: every request is anonymous.
        None => Caller::Unsigned,
    };
    let resolved = resolve_actor(&caller, claimed);
    if let Err(e) = &resolved {
        tracing::warn!(subject = %message.subject, ?caller, claimed, error = %e.message, "request refused");
        health::refused(&message.subject);
    }
    resolved
}

async fn handle<Req, Resp, H>(request: Request, bus: &Bus, handler: &H, health: &EndpointHealth)
where
    Req: DeserializeOwned,
    Resp: Serialize,
    H: Handler<Req, Resp>,
{
    let subject = request.message.subject.to_string();
    let span =
        tracing::info_span!("bus.handle", messaging.destination = %subject, otel.kind = "server");
    cm_telemetry::set_parent_from(&span, request.message.headers.as_ref());
    let actor = verified_actor(&request, bus);
    async {
        let decoded = decode::<Req>(&request.message.payload);
        let result = match (actor, decoded) {
            (Err(refused), _) => Err(refused),
            (Ok(actor), Ok(req)) => {
                let call = ACTOR.scope(actor, handler.call(req));
                match AssertUnwindSafe(call).catch_unwind().await {
                    Ok(result) => result,
                    Err(panic) => Err(panicked(&subject, panic.as_ref(), health)),
                }
            }
            (Ok(_), Err(e)) => Err(BusError::validation(
                "body",
                format!("invalid request: {e}"),
            )),
        };
        let mut headers = HeaderMap::new();
        if let Err(err) = &result {
            tracing::debug!(code = %err.code, message = %err.message, "command failed");
            // Mirror the service-API error headers so generic NATS tooling sees the failure.
            headers.insert("Nats-Service-Error", header_value(&err.message).as_str());
            headers.insert("Nats-Service-Error-Code", "400");
        }
        let body = serde_json::to_vec(&Reply::from(result)).unwrap_or_else(|e| {
            serde_json::to_vec(&Reply::<()>::Error(BusError::internal(format!(
                "reply encoding failed: {e}"
            ))))
            .unwrap_or_default()
        });
        if let Err(e) = crate::blobs::respond(bus, &request, body, headers).await {
            tracing::warn!(error = %e, "could not send reply");
        }
    }
    .instrument(span)
    .await
}

/// The request body, with every U+0000 (JSON `\u0000`) in its strings replaced by U+FFFD: no
/// service stores or forwards a NUL (Postgres `text` cannot hold one; `cm_schemas::text`).
fn decode<Req: DeserializeOwned>(payload: &[u8]) -> Result<Req, serde_json::Error> {
    if !payload.windows(6).any(|w| w == b"\\u0000") {
        return serde_json::from_slice(payload);
    }
    let mut value: serde_json::Value = serde_json::from_slice(payload)?;
    cm_schemas::text::scrub_nul(&mut value);
    serde_json::from_value(value)
}

/// A handler panicked: log it with its message, count it, and answer `internal` with the trace
/// id (never the panic message: it may hold anything).
fn panicked(
    subject: &str,
    panic: &(dyn std::any::Any + Send),
    health: &EndpointHealth,
) -> BusError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    health.panicked();
    let trace_id = cm_telemetry::current_trace_id();
    tracing::error!(%subject, panic = %message, trace.id = trace_id.as_deref().unwrap_or(""),
        "command handler panicked; the endpoint goes on serving");
    BusError::internal(format!("internal error while handling {subject}"))
        .with_details(serde_json::json!({ "traceId": trace_id }))
}

/// Adds endpoint `verb` to `group` and serves it on `tasks` with `handler(ctx, request)`. The
/// untyped form of [`Group::endpoint`], for verbs outside the command table (tests).
pub async fn spawn_endpoint<C, Req, Resp, F, Fut>(
    group: &Group,
    tasks: &mut tokio::task::JoinSet<()>,
    verb: &'static str,
    ctx: &Arc<C>,
    handler: F,
) -> Result<(), async_nats::Error>
where
    C: Send + Sync + 'static,
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    F: Fn(Arc<C>, Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Resp, BusError>> + Send + 'static,
{
    let endpoint = group.add_endpoint(verb).await?;
    let ctx = ctx.clone();
    let bus = group.bus.clone();
    tasks.spawn(async move {
        serve_endpoint(endpoint, &bus, move |req| handler(ctx.clone(), req)).await;
    });
    Ok(())
}

/// A command endpoint could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The command belongs to another service's group (a registration mistake).
    #[error("{subject} is not a command of group {group}")]
    WrongGroup { subject: String, group: String },
    #[error("endpoint {subject}: {source}")]
    Nats {
        subject: String,
        #[source]
        source: async_nats::Error,
    },
}

impl Group {
    /// Registers command `C` of the table ([`cm_schemas::commands`]) and serves it on `tasks`
    /// with `handler(ctx, request)`: the request and answer types are the table's, so a
    /// registration is one line, `group.endpoint(session::Create, t, &ctx, create).await?`.
    pub async fn endpoint<Cmd, C, F, Fut>(
        &self,
        _command: Cmd,
        tasks: &mut tokio::task::JoinSet<()>,
        ctx: &Arc<C>,
        handler: F,
    ) -> Result<(), EndpointError>
    where
        Cmd: Command,
        C: Send + Sync + 'static,
        F: Fn(Arc<C>, Cmd::Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Cmd::Response, BusError>> + Send + 'static,
    {
        if Cmd::PREFIX != self.prefix {
            return Err(EndpointError::WrongGroup {
                subject: Cmd::subject(),
                group: self.prefix.clone(),
            });
        }
        spawn_endpoint(self, tasks, Cmd::VERB, ctx, handler)
            .await
            .map_err(|source| EndpointError::Nats {
                subject: Cmd::subject(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, header_value};

    #[test]
    fn header_values_are_one_bounded_line() {
        assert_eq!(header_value("bad\r\nvalue\0"), "bad  value ");
        assert!(header_value(&"é".repeat(500)).len() <= 256);
        assert_eq!(header_value("plain"), "plain");
    }

    #[test]
    fn request_bodies_lose_their_nul() {
        let v: serde_json::Value = decode(br#"{"title":"a\u0000b"}"#).unwrap_or_default();
        assert_eq!(v["title"], "a\u{FFFD}b");
        let plain: serde_json::Value = decode(br#"{"t":"\\u0000"}"#).unwrap_or_default();
        assert_eq!(plain["t"], "\\u0000", "an escaped backslash is no NUL");
    }
}
