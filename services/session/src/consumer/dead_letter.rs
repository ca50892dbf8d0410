//! Dead letters: an event the consumer gave up on is kept in `session.dead_letters` with the
//! message exactly as it came, announced with an `event.dead_lettered` event in the same scope,
//! and counted; then the consumer acks it and goes on.

use async_nats::jetstream;
use cm_bus::Bus;
use cm_schemas::{Event, EventBody, Scope};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::db::DbError;

/// Dead-letter notices are events of `runtime.session-apply`.
pub const NOTICE_SCOPE_ID: &str = "session-apply";

pub async fn record(
    bus: &Bus,
    pool: &Pool,
    msg: &jetstream::Message,
    seq: u64,
    attempts: i64,
    event: Option<&Event>,
    error: &str,
) -> Result<(), DbError> {
    let subject = msg.subject.to_string();
    let scope_id = match event {
        Some(e) => e.scope_id.clone(),
        None => scope_of(&subject).1,
    };
    let client = pool.get().await?;
    // Postgres text holds no U+0000: the error may quote the event.
    let error = error.replace('\0', "\u{FFFD}");
    client
        .execute(
            "INSERT INTO session.dead_letters
                 (seq, subject, event_id, kind, scope_id, attempts, error, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (seq) DO NOTHING",
            &[
                &(seq as i64),
                &subject.replace('\0', "\u{FFFD}"),
                &event.map(|e| e.id.to_string()),
                &event.map(|e| e.body.kind()),
                &scope_id.replace('\0', "\u{FFFD}"),
                &attempts,
                &error,
                &msg.payload.as_ref(),
            ],
        )
        .await?;
    tracing::error!(seq, %subject, attempts, %error, "event dead-lettered; the consumer goes on");
    if matches!(
        event.map(|e| &e.body),
        Some(EventBody::EventDeadLettered { .. })
    ) {
        return Ok(());
    }
    let mut notice = Event::new(
        Scope::Runtime,
        NOTICE_SCOPE_ID,
        EventBody::EventDeadLettered {
            seq,
            subject: subject.replace('\0', "\u{FFFD}"),
            event_kind: event.map(|e| e.body.kind().to_owned()),
            attempts: attempts.max(0) as u64,
            error,
        },
    );
    // The same id on every try: a redelivered dead letter announces itself once.
    notice.id = Uuid::from_u64_pair(0x0dea_d1e7_7e50_0000, seq);
    if let Err(e) = bus.publish_event(&notice).await {
        tracing::warn!(seq, error = %e, "dead letter recorded but not announced");
    }
    Ok(())
}

/// Dead letters stored in all.
pub async fn count(pool: &Pool) -> Result<u64, DbError> {
    let client = pool.get().await?;
    let row = client
        .query_one("SELECT count(*) FROM session.dead_letters", &[])
        .await?;
    let n: i64 = row.try_get(0)?;
    Ok(n.max(0) as u64)
}

/// Scope and id from a subject `cm.v1.evt.<scope>.<id>.<kind...>` (runtime-scoped when it has
/// another shape).
fn scope_of(subject: &str) -> (Scope, String) {
    let mut tokens = subject.split('.').skip(3);
    let scope = match tokens.next() {
        Some("session") => Scope::Session,
        Some("project") => Scope::Project,
        Some("job") => Scope::Job,
        Some("extension") => Scope::Extension,
        _ => Scope::Runtime,
    };
    let id = tokens.next().unwrap_or("session-apply").to_owned();
    (scope, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_comes_from_the_subject() {
        assert_eq!(
            scope_of("cm.v1.evt.session.s1.item.delta"),
            (Scope::Session, "s1".to_owned())
        );
        assert_eq!(
            scope_of("junk"),
            (Scope::Runtime, "session-apply".to_owned())
        );
    }
}
