//! A `queue.jobs` row as a [`JobInfo`]: the columns every query selects, read with `try_get`
//! so that a bad row is a logged `internal` error and never a panic.

use cm_schemas::BusError;
use cm_schemas::job::{JobError, JobErrorClass, JobInfo, JobPriority, JobState};
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

/// The columns of [`info`], in its order.
pub const COLUMNS: &str = "id, kind, version, payload, priority, project_id, session_id, \
    dedupe_key, state, attempts, max_attempts, run_after, timeout_ms, cancel_requested, result, \
    error_class, error_message, created_at, updated_at, started_at, finished_at";

pub fn info(row: &Row) -> Result<JobInfo, BusError> {
    let priority = match col::<&str>(row, 4)? {
        "interactive" => JobPriority::Interactive,
        _ => JobPriority::Background,
    };
    let state = col::<&str>(row, 8)?;
    let state = JobState::parse(state)
        .ok_or_else(|| BusError::internal(format!("stored job state {state:?} is unknown")))?;
    let error = match col::<Option<&str>>(row, 15)?.and_then(JobErrorClass::parse) {
        Some(class) => Some(JobError {
            class,
            message: col::<Option<String>>(row, 16)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(JobInfo {
        id: col(row, 0)?,
        kind: col(row, 1)?,
        version: col::<i32>(row, 2)?.max(0) as u32,
        spec: col(row, 3)?,
        priority,
        project_id: col(row, 5)?,
        session_id: col(row, 6)?,
        dedupe_key: col(row, 7)?,
        state,
        attempts: col::<i32>(row, 9)?.max(0) as u32,
        max_attempts: col::<i32>(row, 10)?.max(0) as u32,
        run_after: col(row, 11)?,
        timeout_ms: col::<i64>(row, 12)?.max(0) as u64,
        cancel_requested: col(row, 13)?,
        result: col(row, 14)?,
        error,
        created_at: col(row, 17)?,
        updated_at: col(row, 18)?,
        started_at: col(row, 19)?,
        finished_at: col(row, 20)?,
    })
}

pub fn infos(rows: &[Row]) -> Result<Vec<JobInfo>, BusError> {
    rows.iter().map(info).collect()
}

/// Column `idx` of `row` as `T` (issue #11: never `Row::get`).
pub fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T, BusError> {
    row.try_get(idx).map_err(|e| {
        tracing::error!(column = idx, error = %e, "stored row could not be read");
        BusError::internal(format!("stored row could not be read: {idx}: {e}"))
    })
}
