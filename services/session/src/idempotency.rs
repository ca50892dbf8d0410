//! Idempotency records (`cm.v1.session.idempotency.begin` / `.complete`) in
//! `session.idempotency`.
//!
//! `begin` reserves a key with one atomic upsert: a new key, an expired record, or an abandoned
//! reservation of the *same* request (its lease ran out) is taken; anything else is read back
//! and answered — the stored response (replay), `conflict` for a different request, or
//! `conflict` with `details.inProgress` while the first request still runs. `complete` stores
//! the response or releases the reservation, and only for the holder of the reservation.
//! Expired rows are ignored at once and deleted by a sweep that `begin` starts at most once a
//! minute.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cm_schemas::idempotency::{
    BeginIdempotent, BeginOutcome, CompleteIdempotent, CompleteOutcome, DEFAULT_LEASE_SECS,
    DEFAULT_TTL_SECS, MAX_STORED_BODY_BYTES, StoredResponse, valid_key,
};
use cm_schemas::{BusError, ErrorCode};
use deadpool_postgres::Pool;
use serde_json::json;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::db;
use crate::row::RowExt;

/// Longest record life a caller may ask for (7 days).
const MAX_TTL_SECS: u32 = 7 * 24 * 60 * 60;
const SWEEP_EVERY_SECS: i64 = 60;
/// Unix time of the last sweep started by this process.
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

const RESERVE: &str = "
INSERT INTO session.idempotency AS i
    (scope, key, request_hash, method, path, state, reservation, locked_until, expires_at)
VALUES ($1, $2, $3, $4, $5, 'in_progress', $6,
        now() + $7::int * interval '1 second', now() + $8::int * interval '1 second')
ON CONFLICT (scope, key) DO UPDATE SET
    request_hash = EXCLUDED.request_hash, method = EXCLUDED.method, path = EXCLUDED.path,
    state = 'in_progress', reservation = EXCLUDED.reservation,
    locked_until = EXCLUDED.locked_until, status = NULL, content_type = NULL, body = NULL,
    created_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at
WHERE i.expires_at < now()
   OR (i.state = 'in_progress' AND i.locked_until < now()
       AND i.request_hash = EXCLUDED.request_hash)
RETURNING reservation";

const EXISTING: &str = "
SELECT request_hash, state, status, content_type, body
FROM session.idempotency
WHERE scope = $1 AND key = $2 AND expires_at >= now()";

pub async fn begin(ctx: Arc<Ctx>, req: BeginIdempotent) -> Result<BeginOutcome, BusError> {
    validate_begin(&req)?;
    let ttl = req
        .ttl_secs
        .unwrap_or(DEFAULT_TTL_SECS)
        .clamp(1, MAX_TTL_SECS);
    let lease = req.lease_secs.unwrap_or(DEFAULT_LEASE_SECS).clamp(1, ttl);
    let (ttl, lease) = (secs(ttl), secs(lease));
    let client = ctx.pool.get().await.map_err(db::error)?;
    sweep_soon(&ctx.pool);
    // A record released or expiring between the two statements is simply tried again.
    for _ in 0..3 {
        let reservation = Uuid::new_v4();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
            &req.scope,
            &req.key,
            &req.request_hash,
            &req.method,
            &req.path,
            &reservation,
            &lease,
            &ttl,
        ];
        if client
            .query_opt(RESERVE, &params)
            .await
            .map_err(db::error)?
            .is_some()
        {
            return Ok(BeginOutcome::Proceed {
                reservation: reservation.to_string(),
            });
        }
        let existing = client
            .query_opt(EXISTING, &[&req.scope, &req.key])
            .await
            .map_err(db::error)?;
        if let Some(row) = existing {
            return outcome(&req, &row);
        }
    }
    Err(in_progress(&req.key))
}

/// What an existing, unexpired record means for this request.
fn outcome(req: &BeginIdempotent, row: &tokio_postgres::Row) -> Result<BeginOutcome, BusError> {
    let hash: String = row.col("request_hash")?;
    if hash != req.request_hash {
        return Err(BusError::new(
            ErrorCode::Conflict,
            "idempotency key reused with a different request",
        )
        .with_details(json!({ "idempotencyKey": req.key, "inProgress": false })));
    }
    let state: String = row.col("state")?;
    let status: Option<i16> = row.col("status")?;
    let body: Option<Vec<u8>> = row.col("body")?;
    match (state.as_str(), status, body) {
        ("completed", Some(status), Some(body)) => Ok(BeginOutcome::Replay {
            response: StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                content_type: row.col("content_type")?,
                body: String::from_utf8_lossy(&body).into_owned(),
            },
        }),
        _ => Err(in_progress(&req.key)),
    }
}

fn in_progress(key: &str) -> BusError {
    BusError::new(
        ErrorCode::Conflict,
        "a request with this idempotency key is still in progress; retry later",
    )
    .with_details(json!({ "idempotencyKey": key, "inProgress": true }))
}

pub async fn complete(ctx: Arc<Ctx>, req: CompleteIdempotent) -> Result<CompleteOutcome, BusError> {
    let reservation = Uuid::parse_str(&req.reservation)
        .map_err(|_| BusError::validation("reservation", "reservation must be a UUID"))?;
    if let Some(r) = &req.response {
        validate_response(r)?;
    }
    let client = ctx.pool.get().await.map_err(db::error)?;
    let n = match &req.response {
        Some(r) => {
            let status = i16::try_from(r.status).unwrap_or(500);
            client
                .execute(
                    "UPDATE session.idempotency
                     SET state = 'completed', status = $4, content_type = $5, body = $6,
                         completed_at = now()
                     WHERE scope = $1 AND key = $2 AND reservation = $3
                       AND state = 'in_progress'",
                    &[
                        &req.scope,
                        &req.key,
                        &reservation,
                        &status,
                        &r.content_type,
                        &r.body.as_bytes(),
                    ],
                )
                .await
        }
        None => {
            client
                .execute(
                    "DELETE FROM session.idempotency
                     WHERE scope = $1 AND key = $2 AND reservation = $3
                       AND state = 'in_progress'",
                    &[&req.scope, &req.key, &reservation],
                )
                .await
        }
    }
    .map_err(db::error)?;
    Ok(CompleteOutcome { applied: n == 1 })
}

fn validate_begin(req: &BeginIdempotent) -> Result<(), BusError> {
    if !valid_key(&req.key) {
        return Err(BusError::validation(
            "key",
            "idempotency key must be 1-255 visible ASCII characters",
        ));
    }
    if req.scope.is_empty() || req.scope.len() > 128 {
        return Err(BusError::validation("scope", "scope must be 1-128 bytes"));
    }
    if req.request_hash.len() != 64 || !req.request_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BusError::validation(
            "requestHash",
            "requestHash must be a hex SHA-256",
        ));
    }
    if req.method.len() > 16 || req.path.len() > 4096 {
        return Err(BusError::validation("path", "method or path is too long"));
    }
    Ok(())
}

fn validate_response(r: &StoredResponse) -> Result<(), BusError> {
    if !(100..=599).contains(&r.status) {
        return Err(BusError::validation("status", "status must be 100-599"));
    }
    if r.body.len() > MAX_STORED_BODY_BYTES {
        return Err(BusError::new(
            ErrorCode::PayloadTooLarge,
            format!("stored responses are limited to {MAX_STORED_BODY_BYTES} bytes"),
        ));
    }
    if r.content_type.as_ref().is_some_and(|c| c.len() > 255) {
        return Err(BusError::validation(
            "contentType",
            "content type is too long",
        ));
    }
    Ok(())
}

fn secs(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Deletes expired records in the background, at most once a minute per process.
fn sweep_soon(pool: &Pool) {
    let now = chrono::Utc::now().timestamp();
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if now - last < SWEEP_EVERY_SECS
        || LAST_SWEEP
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let pool = pool.clone();
    tokio::spawn(async move {
        let Ok(client) = pool.get().await else { return };
        match client
            .execute(
                "DELETE FROM session.idempotency WHERE expires_at < now()",
                &[],
            )
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "expired idempotency records swept"),
            Err(e) => tracing::warn!(error = %e, "idempotency sweep failed"),
        }
    });
}
