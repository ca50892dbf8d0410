//! The gateway: the only HTTP surface. It speaks to the other services over NATS only — never
//! to Postgres or app-server — and streams events to clients from JetStream.

mod access_log;
mod auth;
mod body_shape;
mod error;
mod examples;
mod extract;
mod flags;
mod idempotency;
mod openapi;
mod params;
mod routes;
mod state;
mod streams;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use cm_bus::{Bus, serve_endpoint};
use cm_schemas::BusError;
use cm_schemas::commands::verb;
use cm_schemas::queue::Empty;
use cm_schemas::subjects::{prefix, service};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use auth::load_or_create_token;
pub use error::status_of;
pub use flags::{GatewayArgs, bind};
pub use streams::StreamsConfig;

/// The OpenAPI 3.1 document of the HTTP API (what `/api/openapi.json` serves).
pub fn openapi_document() -> serde_json::Value {
    openapi::cached().clone()
}

/// The document as committed: pretty-printed with a final newline.
pub fn render_openapi() -> String {
    let mut text = serde_json::to_string_pretty(openapi::cached()).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The bearer token clients must present.
    pub token: String,
    /// Directory of the built web UI to serve at `/`; when `None` the gateway looks in
    /// [`web::default_dirs`] (see [`web::WebUi::locate`]).
    pub web_dir: Option<PathBuf>,
    /// How long a command waits for its service.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Event streams: heartbeat interval, subscriber limit, slow-consumer policy.
    pub streams: StreamsConfig,
    /// Append one JSON line per request to this file (see `access_log`).
    pub access_log: Option<PathBuf>,
    /// Other origins whose pages may call the API from a browser (a UI served elsewhere, e.g.
    /// a dev server). Empty: only the gateway's own origin, which serves the UI.
    pub cors_origins: Vec<String>,
}

impl Config {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            web_dir: None,
            request_timeout: Duration::from_secs(90),
            max_body_bytes: 1024 * 1024,
            streams: StreamsConfig::default(),
            access_log: None,
            cors_origins: Vec::new(),
        }
    }
}

pub fn app(
    cfg: &Config,
    bus: Bus,
    shutdown: CancellationToken,
    access_log: Option<access_log::AccessLog>,
) -> Router {
    let state = state::AppState {
        bus,
        request_timeout: cfg.request_timeout,
        shutdown,
        streams: streams::Streams::new(&cfg.streams),
    };
    let mut app = routes::router(state, Arc::from(cfg.token.as_str())).merge(openapi::router());
    // The built web UI (single-page app) with a strict CSP, or a page saying how to build it;
    // `/api` paths stay JSON 404s either way.
    let ui = web::WebUi::locate(cfg.web_dir.as_deref());
    match &ui {
        web::WebUi::Built(dir) => tracing::info!(web.dir = %dir.display(), "serving the web UI"),
        web::WebUi::NotBuilt(looked) => tracing::warn!(
            web.looked = ?looked,
            "no built web UI (run scripts/build-web.sh, or set --web-dir/CM_WEB_DIR): `/` says how to build it"
        ),
    }
    app = web::serve(app, &ui);
    if let Some(log) = access_log {
        app = app.layer(axum::middleware::from_fn_with_state(
            log,
            access_log::middleware,
        ));
    }
    if let Some(cors) = cors_layer(&cfg.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(RequestBodyLimitLayer::new(cfg.max_body_bytes))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let span = tracing::info_span!("http.request", http.method = %req.method(), http.route = %req.uri().path());
                    cm_telemetry::set_parent_from_http(&span, req.headers());
                    span
                })
                // Failures are logged once, by `ApiError`; 503s while starting are not errors.
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
}

/// CORS for the configured origins only. Without any, no CORS header is ever sent, so browsers
/// keep pages of other origins from reading answers: the API is locked to the UI's origin.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let custom = |name: &'static str| HeaderName::from_static(name);
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                custom("idempotency-key"),
                custom("last-event-id"),
                custom("x-cm-actor"),
                custom("traceparent"),
            ])
            .expose_headers([custom(idempotency::REPLAYED_HEADER)])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Serves HTTP on `listener` until `shutdown` is cancelled.
pub async fn run(
    cfg: Config,
    bus: Bus,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // Registered so `$SRV.PING/INFO/STATS` answer for the gateway like for every service.
    let svc = bus
        .start_service(service::GATEWAY, "Codex Manager HTTP gateway")
        .await
        .map_err(|e| anyhow::anyhow!("service start: {e}"))?;
    let status = svc
        .group(prefix::GATEWAY)
        .endpoint(verb::STATUS)
        .await
        .map_err(|e| anyhow::anyhow!("endpoint: {e}"))?;
    let addr = listener.local_addr()?;
    let status_bus = bus.clone();
    let status_task = tokio::spawn(async move {
        serve_endpoint(status, &status_bus, move |_: Empty| async move {
            Ok::<_, BusError>(serde_json::json!({ "listening": addr.to_string() }))
        })
        .await
    });

    tracing::info!(%addr, "gateway listening");
    let closer = bus.clone();
    let access_log = match &cfg.access_log {
        Some(path) => Some(
            access_log::AccessLog::open(path)
                .await
                .map_err(|e| anyhow::anyhow!("access log {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let app = app(&cfg, bus, shutdown.clone(), access_log)
        .into_make_service_with_connect_info::<SocketAddr>();
    let token = shutdown.clone();
    // Small SSE frames must leave at once, not wait for the client's delayed ACK (Nagle):
    // without TCP_NODELAY most deltas of a burst arrived ~40 ms late (docs/benchmarks.md).
    let listener = {
        use axum::serve::ListenerExt;
        listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        })
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await?;
    status_task.abort();
    let _ = svc.stop().await;
    closer.close().await;
    Ok(())
}
