//! Messages larger than NATS carries: an event or a command answer whose encoding exceeds the
//! server's `max_payload` (1 MiB by default) goes to a JetStream object store, which chunks it,
//! and the message itself carries only the header [`BLOB_HEADER`] naming the object.
//!
//! - Events ([`Bus::publish_event`]): the whole event is stored in `CM_EVENT_BLOBS` (kept as
//!   long as `CM_EVENTS` keeps events) and the stream gets a preview: the same envelope with
//!   `raw` dropped, long strings cut and long arrays shortened, plus `blob: {name, bytes}`.
//!   [`Bus::read_event`] gives consumers the whole event either way.
//! - Answers ([`respond`]): stored in `CM_REPLY_BLOBS` (kept 10 minutes); the reply is empty
//!   but for the header, and [`Bus::request`] fetches and deletes the object.
//!
//! So no message exceeds the limit, and nothing is cut on the way to Postgres or a client.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::object_store::{self, ObjectStore};
use async_nats::jetstream::stream::StorageType;
use async_nats::service::Request;
use cm_schemas::{BusError, Event, Reply};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::Bus;

/// The header of a message whose body lives in an object store: the object's name.
pub const BLOB_HEADER: &str = "Cm-Blob";
pub const EVENT_BLOBS: &str = "CM_EVENT_BLOBS";
pub const REPLY_BLOBS: &str = "CM_REPLY_BLOBS";

/// Room left under `max_payload` for headers (trace context, message id, blob name).
const HEADER_ROOM: usize = 8 * 1024;
/// A preview keeps this much of each string and this many elements of each array.
const PREVIEW_STRING: usize = 2048;
const PREVIEW_ITEMS: usize = 64;

/// A blob could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object store {bucket}: {message}")]
    Store {
        bucket: &'static str,
        message: String,
    },
    #[error("blob {name} is not a valid message: {source}")]
    Decode {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Bus {
    /// The largest body a message may have here: the server's `max_payload` less room for
    /// headers.
    pub fn body_limit(&self) -> usize {
        let max = self.client().server_info().max_payload;
        let max = if max == 0 { 1024 * 1024 } else { max };
        max.saturating_sub(HEADER_ROOM)
    }

    async fn blob_store(&self, bucket: &'static str) -> Result<ObjectStore, BlobError> {
        let err = |e: &dyn std::fmt::Display| BlobError::Store {
            bucket,
            message: e.to_string(),
        };
        if let Ok(store) = self.jetstream().get_object_store(bucket).await {
            return Ok(store);
        }
        let max_age = if bucket == EVENT_BLOBS {
            crate::EventsStreamConfig::default().max_age
        } else {
            Duration::from_secs(600)
        };
        self.jetstream()
            .create_object_store(object_store::Config {
                bucket: bucket.to_owned(),
                description: Some("Codex Manager: bodies larger than a NATS message".to_owned()),
                max_age,
                storage: StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| err(&e))
    }

    pub(crate) async fn put_blob(
        &self,
        bucket: &'static str,
        name: &str,
        body: &[u8],
    ) -> Result<(), BlobError> {
        let store = self.blob_store(bucket).await?;
        let mut reader = body;
        store
            .put(name, &mut reader)
            .await
            .map_err(|e| BlobError::Store {
                bucket,
                message: e.to_string(),
            })?;
        Ok(())
    }

    pub(crate) async fn get_blob(
        &self,
        bucket: &'static str,
        name: &str,
    ) -> Result<Vec<u8>, BlobError> {
        let err = |e: &dyn std::fmt::Display| BlobError::Store {
            bucket,
            message: format!("{name}: {e}"),
        };
        let store = self.blob_store(bucket).await?;
        let mut object = store.get(name).await.map_err(|e| err(&e))?;
        let mut body = Vec::new();
        object.read_to_end(&mut body).await.map_err(|e| err(&e))?;
        Ok(body)
    }

    pub(crate) async fn delete_blob(&self, bucket: &'static str, name: &str) {
        if let Ok(store) = self.blob_store(bucket).await
            && let Err(e) = store.delete(name).await
        {
            tracing::debug!(error = %e, name, "reply blob not deleted; it expires by itself");
        }
    }

    /// The event a `CM_EVENTS` message carries: decoded from its body, or fetched whole from
    /// `CM_EVENT_BLOBS` when the body is a preview ([`BLOB_HEADER`]).
    pub async fn read_event(
        &self,
        headers: Option<&HeaderMap>,
        payload: &[u8],
    ) -> Result<Event, ReadEventError> {
        match headers.and_then(|h| h.get(BLOB_HEADER)) {
            Some(name) => {
                let body = self.get_blob(EVENT_BLOBS, name.as_str()).await?;
                serde_json::from_slice(&body).map_err(ReadEventError::Malformed)
            }
            None => serde_json::from_slice(payload).map_err(ReadEventError::Malformed),
        }
    }
}

/// A `CM_EVENTS` message that is no event.
#[derive(Debug, thiserror::Error)]
pub enum ReadEventError {
    /// It will never decode: skip it (or dead-letter it).
    #[error("malformed event: {0}")]
    Malformed(serde_json::Error),
    /// Its blob could not be read now: try again.
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// The body to publish for `event` encoded as `full`: itself when it fits, else (after storing
/// it whole) a preview that fits, with the blob's name for the header.
pub(crate) async fn fit_event(
    bus: &Bus,
    event: &Event,
    full: Vec<u8>,
) -> Result<(Vec<u8>, Option<String>), BlobError> {
    let limit = bus.body_limit();
    if full.len() <= limit {
        return Ok((full, None));
    }
    let name = format!("evt.{}", event.id);
    bus.put_blob(EVENT_BLOBS, &name, &full).await?;
    let mut value = serde_json::to_value(event).map_err(|source| BlobError::Decode {
        name: name.clone(),
        source,
    })?;
    if let Some(envelope) = value.as_object_mut() {
        envelope.remove("raw");
        if let Some(data) = envelope.get_mut("data") {
            preview(data, PREVIEW_STRING, PREVIEW_ITEMS);
        }
        envelope.insert(
            "blob".to_owned(),
            json!({ "bucket": EVENT_BLOBS, "name": name, "bytes": full.len() }),
        );
    }
    let mut body = serde_json::to_vec(&value).unwrap_or_default();
    if body.len() > limit {
        // Many medium fields: cut harder; the whole event is in the blob all the same.
        if let Some(data) = value.get_mut("data") {
            preview(data, 64, 8);
        }
        body = serde_json::to_vec(&value).unwrap_or_default();
    }
    tracing::info!(event.id = %event.id, kind = event.body.kind(), bytes = full.len(),
        "event larger than a NATS message: stored whole in {EVENT_BLOBS}, preview published");
    Ok((body, Some(name)))
}

/// Cuts every string of `v` to `max_string` bytes (on a character boundary, marked with `…`)
/// and every array to `max_items` elements.
fn preview(v: &mut Value, max_string: usize, max_items: usize) {
    match v {
        Value::String(s) if s.len() > max_string => {
            let mut end = max_string;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            s.push('…');
        }
        Value::Array(items) => {
            items.truncate(max_items);
            items
                .iter_mut()
                .for_each(|i| preview(i, max_string, max_items));
        }
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| preview(i, max_string, max_items)),
        _ => {}
    }
}

/// Answers `request` with `body`, through `CM_REPLY_BLOBS` when it is larger than a message.
pub(crate) async fn respond(
    bus: &Bus,
    request: &Request,
    body: Vec<u8>,
    mut headers: HeaderMap,
) -> Result<(), async_nats::PublishError> {
    if body.len() <= bus.body_limit() {
        return request.respond_with_headers(Ok(body.into()), headers).await;
    }
    let name = format!("reply.{}", uuid::Uuid::now_v7());
    let body = match bus.put_blob(REPLY_BLOBS, &name, &body).await {
        Ok(()) => {
            headers.insert(BLOB_HEADER, name.as_str());
            Vec::new()
        }
        Err(e) => {
            tracing::error!(error = %e, bytes = body.len(), "large answer not stored");
            let err = BusError::new(
                cm_schemas::ErrorCode::PayloadTooLarge,
                format!("the answer ({} bytes) could not be stored: {e}", body.len()),
            );
            serde_json::to_vec(&Reply::<()>::Error(err)).unwrap_or_default()
        }
    };
    request.respond_with_headers(Ok(body.into()), headers).await
}

#[cfg(test)]
mod tests {
    use super::preview;
    use serde_json::json;

    #[test]
    fn preview_cuts_strings_on_char_boundaries_and_arrays() {
        let mut v = json!({ "text": "é".repeat(10), "list": [1, 2, 3, 4], "n": 5 });
        preview(&mut v, 5, 2);
        assert_eq!(v["text"], "éé…");
        assert_eq!(v["list"], json!([1, 2]));
        assert_eq!(v["n"], 5);
    }
}
