//! What the event consumer has been through, for `cm.v1.session.consumer.status` (readiness)
//! and for the OpenTelemetry counters `cm.session.apply.redeliveries`,
//! `cm.session.apply.failures` and `cm.session.apply.dead_letters`.

use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cm_schemas::health::ConsumerStatus;
use opentelemetry::metrics::Counter;

/// One event failing this often, or for this long, is a stuck consumer.
const STUCK_ATTEMPTS: u64 = 3;
const STUCK_AFTER: Duration = Duration::from_secs(10);
/// A backlog with no event applied for this long is a lagging consumer.
const LAGGING_AFTER: Duration = Duration::from_secs(30);
/// Not consuming for this long is a stopped consumer (a reconnect takes about a second).
const STOPPED_AFTER: Duration = Duration::from_secs(5);

struct Meters {
    redeliveries: Counter<u64>,
    failures: Counter<u64>,
    dead_letters: Counter<u64>,
}

static METERS: LazyLock<Meters> = LazyLock::new(|| {
    let meter = cm_telemetry::meter("cm-session");
    Meters {
        redeliveries: meter
            .u64_counter("cm.session.apply.redeliveries")
            .with_description("events delivered again to the consumer")
            .build(),
        failures: meter
            .u64_counter("cm.session.apply.failures")
            .with_description("attempts to apply an event that failed")
            .build(),
        dead_letters: meter
            .u64_counter("cm.session.apply.dead_letters")
            .with_description("events moved to session.dead_letters")
            .build(),
    }
});

#[derive(Debug)]
struct State {
    consuming: bool,
    since: Instant,
    applied: u64,
    last_applied_seq: u64,
    last_applied_at: Option<(Instant, DateTime<Utc>)>,
    redeliveries: u64,
    failing: Option<(u64, u64, Instant)>,
    last_error: Option<String>,
    dead_letters: u64,
    last_dead_letter_at: Option<DateTime<Utc>>,
    /// Set for good once a sequence held another event: the operator must act (runbook).
    store_replaced: Option<String>,
}

/// Shared between the consumer loop and the status command.
#[derive(Debug)]
pub struct ConsumerHealth(Mutex<State>);

impl Default for ConsumerHealth {
    fn default() -> Self {
        Self(Mutex::new(State {
            consuming: false,
            since: Instant::now(),
            applied: 0,
            last_applied_seq: 0,
            last_applied_at: None,
            redeliveries: 0,
            failing: None,
            last_error: None,
            dead_letters: 0,
            last_dead_letter_at: None,
            store_replaced: None,
        }))
    }
}

impl ConsumerHealth {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }

    pub fn consuming(&self, yes: bool) {
        self.with(|s| {
            if s.consuming != yes {
                s.consuming = yes;
                s.since = Instant::now();
            }
        });
    }

    pub fn delivered(&self, delivered: i64) {
        if delivered > 1 {
            METERS.redeliveries.add(1, &[]);
            self.with(|s| s.redeliveries += 1);
        }
    }

    pub fn applied(&self, seq: u64) {
        self.with(|s| {
            s.applied += 1;
            s.last_applied_seq = seq;
            s.last_applied_at = Some((Instant::now(), Utc::now()));
            s.failing = None;
        });
    }

    pub fn failed(&self, seq: u64, error: &str) {
        METERS.failures.add(1, &[]);
        self.with(|s| {
            let (attempts, since) = match s.failing {
                Some((failing, attempts, since)) if failing == seq => (attempts + 1, since),
                _ => (1, Instant::now()),
            };
            s.failing = Some((seq, attempts, since));
            s.last_error = Some(error.to_owned());
        });
    }

    /// The event stream was recreated under this database: not healthy until a restart after
    /// the operator resolved it.
    pub fn sequence_conflict(&self, error: &str) {
        self.with(|s| s.store_replaced = Some(error.to_owned()));
    }

    pub fn dead_lettered(&self) {
        METERS.dead_letters.add(1, &[]);
        self.with(|s| {
            s.dead_letters += 1;
            s.last_dead_letter_at = Some(Utc::now());
            s.failing = None;
        });
    }

    /// The status, given the consumer's backlog and the dead letters stored in all.
    pub fn status(&self, pending: u64, dead_letters_total: u64) -> ConsumerStatus {
        self.with(|s| {
            let now = Instant::now();
            let (failing_seq, failing_attempts, failing_since) = match s.failing {
                Some((seq, attempts, since)) => (Some(seq), attempts, Some(since)),
                None => (None, 0, None),
            };
            let progress = s.last_applied_at.map_or(s.since, |(at, _)| at.max(s.since));
            let problem = if s.store_replaced.is_some() {
                Some("store_replaced")
            } else if !s.consuming && now.duration_since(s.since) >= STOPPED_AFTER {
                Some("stopped")
            } else if failing_attempts >= STUCK_ATTEMPTS
                || failing_since.is_some_and(|t| now.duration_since(t) >= STUCK_AFTER)
            {
                Some("stuck")
            } else if pending > 0 && now.duration_since(progress) >= LAGGING_AFTER {
                Some("lagging")
            } else {
                None
            };
            ConsumerStatus {
                healthy: problem.is_none(),
                problem: problem.map(str::to_owned),
                applied: s.applied,
                last_applied_seq: s.last_applied_seq,
                last_applied_at: s.last_applied_at.map(|(_, at)| at),
                pending,
                redeliveries: s.redeliveries,
                failing_seq,
                failing_attempts,
                last_error: s.store_replaced.clone().or_else(|| s.last_error.clone()),
                dead_letters: s.dead_letters,
                dead_letters_total,
                last_dead_letter_at: s.last_dead_letter_at,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_failing_repeatedly_is_stuck_and_applying_clears_it() {
        let h = ConsumerHealth::default();
        h.consuming(true);
        assert!(h.status(0, 0).healthy);
        for _ in 0..STUCK_ATTEMPTS {
            h.failed(7, "db error");
        }
        let st = h.status(3, 0);
        assert_eq!(st.problem.as_deref(), Some("stuck"));
        assert_eq!(
            (st.failing_seq, st.failing_attempts),
            (Some(7), STUCK_ATTEMPTS)
        );
        h.dead_lettered();
        h.applied(8);
        let st = h.status(0, 1);
        assert!(st.healthy, "{st:?}");
        assert_eq!((st.dead_letters, st.last_applied_seq), (1, 8));
    }

    #[test]
    fn another_event_failing_starts_a_new_count() {
        let h = ConsumerHealth::default();
        h.consuming(true);
        h.failed(7, "x");
        h.failed(7, "x");
        h.failed(8, "x");
        assert_eq!(h.status(0, 0).failing_attempts, 1);
    }
}
