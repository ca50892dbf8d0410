//! The durable job engine. Postgres is the queue and the one owner of job state:
//!
//! - `store`: enqueue (capacity, single-flight dedupe), read, list, cancel;
//! - `transitions`: claim, finish, requeue: every state change of a claimed job;
//! - `lease`: the heartbeat that renews this worker's leases, and the reaper that requeues jobs
//!   whose worker stopped renewing;
//! - `dispatch`: the claim loop and one attempt of a job (timeout, cancel, panic);
//! - `retry`: the back-off before a retry;
//! - `outbox`: every transition's event, written in its transaction and relayed to `CM_EVENTS`.

pub mod dispatch;
pub mod lease;
pub mod outbox;
pub mod retry;
pub mod row;
pub mod store;
pub mod transitions;

use std::collections::HashMap;
use std::sync::Mutex;

use cm_bus::Bus;
use deadpool_postgres::Pool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::EngineConfig;

/// What every part of the engine shares.
pub struct Engine {
    pub pool: Pool,
    pub bus: Bus,
    pub cfg: EngineConfig,
    /// This process's identity in `queue.jobs.worker`: fresh at each start, so a restarted
    /// worker never mistakes its predecessor's jobs for its own.
    pub worker: String,
    /// Wakes the claim loop: a local enqueue, a finished job (a free slot).
    pub wake: Notify,
    /// Wakes the outbox relay: a transition committed events.
    pub relay_wake: Notify,
    /// The cancel token of each job this worker runs, by job id.
    running: Mutex<HashMap<Uuid, CancellationToken>>,
}

impl Engine {
    pub fn new(pool: Pool, bus: Bus, cfg: EngineConfig) -> Self {
        Self {
            pool,
            bus,
            cfg,
            worker: format!("worker-{}", Uuid::now_v7()),
            wake: Notify::new(),
            relay_wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Registers a job this worker starts running; its handler watches the token.
    pub(crate) fn track(&self, id: Uuid) -> CancellationToken {
        let token = CancellationToken::new();
        self.lock().insert(id, token.clone());
        token
    }

    pub(crate) fn untrack(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    /// Tells the job's handler to stop, when this worker runs it. Whether it ends `canceled`
    /// or was lost is for the (fenced) write that follows to find out.
    pub(crate) fn interrupt(&self, id: Uuid) -> bool {
        match self.lock().get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub(crate) fn running_ids(&self) -> Vec<Uuid> {
        self.lock().keys().copied().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, CancellationToken>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts
        // and removes), so a poisoned lock is still usable.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
