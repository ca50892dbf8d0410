//! Serving a command endpoint: decode the request, continue the caller's trace, run the
//! handler, answer a [`Reply`]. Requests are handled concurrently (bounded), so a slow command
//! never holds up the others.

use std::future::Future;
use std::sync::Arc;

use async_nats::HeaderMap;
use async_nats::service::{Request, endpoint::Endpoint};
use cm_schemas::{BusError, Reply};
use futures::StreamExt;
use serde::{Serialize, de::DeserializeOwned};
use tracing::Instrument;

/// How many requests of one endpoint run at once.
const CONCURRENCY: usize = 64;

/// The NATS header naming who sends a command (`system:<name>` for system components). Only
/// bus clients set it; the gateway never does, so no HTTP request carries it.
pub const ACTOR_HEADER: &str = "Cm-Actor";

tokio::task_local! {
    static ACTOR: Option<String>;
}

/// The [`ACTOR_HEADER`] of the command being handled (inside a handler; `None` elsewhere or
/// when the sender set none). A task-local, so handlers keep their plain `(ctx, request)` shape.
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

/// Serves `endpoint` until it closes (the service stopped or the token was cancelled by the
/// caller dropping this future).
pub async fn serve_endpoint<Req, Resp, H>(endpoint: Endpoint, handler: H)
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    H: Handler<Req, Resp>,
{
    let handler = Arc::new(handler);
    endpoint
        .for_each_concurrent(CONCURRENCY, |request| {
            let handler = handler.clone();
            async move { handle(request, handler.as_ref()).await }
        })
        .await;
}

async fn handle<Req, Resp, H>(request: Request, handler: &H)
where
    Req: DeserializeOwned,
    Resp: Serialize,
    H: Handler<Req, Resp>,
{
    let subject = request.message.subject.to_string();
    let span =
        tracing::info_span!("bus.handle", messaging.destination = %subject, otel.kind = "server");
    cm_telemetry::set_parent_from(&span, request.message.headers.as_ref());
    let actor = request
        .message
        .headers
        .as_ref()
        .and_then(|h| h.get(ACTOR_HEADER))
        .map(|v| v.as_str().to_owned());
    async {
        let result = match serde_json::from_slice::<Req>(&request.message.payload) {
            Ok(req) => ACTOR.scope(actor, handler.call(req)).await,
            Err(e) => Err(BusError::validation(
                "body",
                format!("invalid request: {e}"),
            )),
        };
        let mut headers = HeaderMap::new();
        if let Err(err) = &result {
            tracing::debug!(code = %err.code, message = %err.message, "command failed");
            // Mirror the service-API error headers so generic NATS tooling sees the failure.
            headers.insert("Nats-Service-Error", err.message.as_str());
            headers.insert("Nats-Service-Error-Code", "400");
        }
        let body = serde_json::to_vec(&Reply::from(result)).unwrap_or_else(|e| {
            serde_json::to_vec(&Reply::<()>::Error(BusError::internal(format!(
                "reply encoding failed: {e}"
            ))))
            .unwrap_or_default()
        });
        if let Err(e) = request.respond_with_headers(Ok(body.into()), headers).await {
            tracing::warn!(error = %e, "could not send reply");
        }
    }
    .instrument(span)
    .await
}

/// Adds endpoint `verb` to `group` and serves it on `tasks` with `handler(ctx, request)`: the
/// one-liner each service uses to register a command.
pub async fn spawn_endpoint<C, Req, Resp, F, Fut>(
    group: &async_nats::service::Group,
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
    let endpoint = group.endpoint(verb).await?;
    let ctx = ctx.clone();
    tasks.spawn(serve_endpoint(endpoint, move |req| {
        handler(ctx.clone(), req)
    }));
    Ok(())
}
