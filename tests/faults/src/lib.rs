//! The fault suite: a real stack under `codex-manager up --demo`, one slow streaming turn per
//! case, `kill -9` of one process in the middle of it, then the promises checked from outside,
//! as a client sees them: the turn ends, the live stream (reconnecting with `Last-Event-ID`
//! like every client) and a replay from 0 hold the same events with no gap and no duplicate,
//! and the snapshot's agent text is the concatenated deltas. `docs/reliability.md` has the table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod case;
mod live;

pub use case::{Outcome, Victim, run_case, table};
