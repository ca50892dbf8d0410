//! Statement failures against a real Postgres: refused data is `internal` and never
//! transient, and its description carries Postgres' own message and SQLSTATE.

#![allow(clippy::unwrap_used)]

use cm_pg::{DbError, bus_error, describe, is_transient};
use cm_schemas::ErrorCode;
use cm_test_support::Postgres;

#[tokio::test]
async fn a_refused_statement_is_internal_and_not_transient() {
    let pg = Postgres::start().await.unwrap();
    let url = pg.create_database("errors").await.unwrap();
    let pool = cm_pg::pool(&url, 1).unwrap();
    let client = pool.get().await.map_err(DbError::from).unwrap();
    let e = client.execute("SELEC 1", &[]).await.err().unwrap();
    let e = DbError::from(e);
    assert!(!is_transient(&e));
    assert!(describe(&e).ends_with("(42601)"), "{}", describe(&e));
    assert_eq!(bus_error(e).code, ErrorCode::Internal);
}
