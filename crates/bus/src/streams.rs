//! The JetStream streams of the bus, created idempotently by their owners at start-up.

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
}

impl Default for EventsStreamConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_bytes: -1,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// Creates `CM_EVENTS` (file storage, `cm.v1.evt.>`) or returns the existing one.
pub async fn ensure_events_stream(
    js: &jetstream::Context,
    cfg: &EventsStreamConfig,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    js.get_or_create_stream(stream::Config {
        name: subjects::EVENTS_STREAM.to_owned(),
        subjects: vec![subjects::EVENTS_SUBJECTS.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::Old,
        max_age: cfg.max_age,
        max_bytes: cfg.max_bytes,
        duplicate_window: cfg.duplicate_window,
        description: Some("Codex Manager events (cm.v1.evt.<scope>.<id>.<kind>)".to_owned()),
        ..Default::default()
    })
    .await
}

/// Creates the `CM_JOBS` work-queue stream or returns the existing one.
pub async fn ensure_jobs_stream(
    js: &jetstream::Context,
) -> Result<stream::Stream, jetstream::context::CreateStreamError> {
    js.get_or_create_stream(stream::Config {
        name: subjects::JOBS_STREAM.to_owned(),
        subjects: vec![subjects::JOBS_SUBJECTS.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::WorkQueue,
        duplicate_window: Duration::from_secs(120),
        description: Some("Codex Manager jobs (work queue)".to_owned()),
        ..Default::default()
    })
    .await
}
