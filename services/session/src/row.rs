//! Fallible column reads (issue #11): a stored row that cannot be decoded — a NULL where a value
//! is expected, or an unexpected type — is an `internal` error, never a panic.
//!
//! `tokio_postgres::Row::get` panics in both cases and is disallowed by the workspace
//! `clippy.toml`; service code reads columns through [`RowExt`] instead.

use std::fmt::Display;

use cm_schemas::BusError;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

/// `try_get` with the failure mapped to a logged `internal` [`BusError`].
pub trait RowExt {
    /// The column named `name`, decoded as `T`.
    fn col<'a, T: FromSql<'a>>(&'a self, name: &str) -> Result<T, BusError>;

    /// The column at `idx`, decoded as `T`.
    fn col_at<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, BusError>;
}

impl RowExt for Row {
    fn col<'a, T: FromSql<'a>>(&'a self, name: &str) -> Result<T, BusError> {
        self.try_get(name).map_err(|e| unreadable(&name, &e))
    }

    fn col_at<'a, T: FromSql<'a>>(&'a self, idx: usize) -> Result<T, BusError> {
        self.try_get(idx).map_err(|e| unreadable(&idx, &e))
    }
}

/// The error for a column that could not be read, logged where it happens.
pub fn unreadable(column: &dyn Display, err: &dyn Display) -> BusError {
    tracing::error!(%column, error = %err, "stored row could not be read");
    BusError::internal(format!("stored row could not be read: {column}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cm_schemas::ErrorCode;

    #[test]
    fn unreadable_is_internal_and_names_the_column() {
        let err = unreadable(&"value", &"unexpected null");
        assert_eq!(err.code, ErrorCode::Internal);
        assert_eq!(
            err.message,
            "stored row could not be read: value: unexpected null"
        );
    }
}
