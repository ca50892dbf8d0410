//! The JetStream streams of the bus, created by their owners at start-up or, when they exist,
//! brought to the configuration asked for (limits, replicas): a changed setting takes effect on
//! the next start instead of never.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use cm_schemas::subjects;

/// Retention settings of `CM_EVENTS`. History older than the stream keeps is served from
/// Postgres by the session service.
#[derive(Debug, Clone)]
pub struct EventsStreamConfig {
    pub max_age: Duration,
    pub max_bytes: i64,
    /// Window in which JetStream drops a publish whose `Nats-Msg-Id` it has seen.
    pub duplicate_window: Duration,
    /// Copies in a JetStream cluster (1 on a single server; 3 across three nodes).
    pub replicas: usize,
}

impl Default for EventsStreamConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_bytes: -1,
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
        }
    }
}

/// Creates `CM_EVENTS` (file storage, `cm.v1.evt.>`) or updates the existing one to `cfg`.
pub async fn ensure_events_stream(
    js: &jetstream::Context,
    cfg: &EventsStreamConfig,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    reconcile(
        js,
        stream::Config {
            name: subjects::EVENTS_STREAM.to_owned(),
            subjects: vec![subjects::EVENTS_SUBJECTS.to_owned()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            max_age: cfg.max_age,
            max_bytes: cfg.max_bytes,
            duplicate_window: cfg.duplicate_window,
            num_replicas: cfg.replicas,
            description: Some("Codex Manager events (cm.v1.evt.<scope>.<id>.<kind>)".to_owned()),
            ..Default::default()
        },
    )
    .await
}

async fn reconcile(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    let name = config.name.clone();
    let info = js.create_or_update_stream(config).await?;
    tracing::debug!(stream = %name, created = %info.created, "stream configured");
    js.get_stream(&name).await.map_err(|e| {
        jetstream::context::CreateStreamError::with_source(
            jetstream::context::CreateStreamErrorKind::JetStreamUnavailable,
            e,
        )
    })
}
