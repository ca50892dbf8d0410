//! Settings (S5): free-form JSON values by key, global or per session
//! (`cm.v1.session.settings.*`), in `session.settings` (`session_id = ''` for global ones).
//!
//! Keys are 1–128 characters of `[A-Za-z0-9._-]`; a value is any JSON but `null`, at most
//! 64 KiB as compact JSON (`payload_too_large` beyond). `merge` applies an RFC 7396 merge patch
//! to an object value (or to `{}` when the key is unset) under a row lock.

use std::sync::Arc;

use cm_schemas::controls::{
    ListSettings, MAX_SETTING_KEY_LEN, MAX_SETTING_VALUE_BYTES, MergeSetting, SetSetting, Setting,
    SettingList, SettingRef, valid_setting_key,
};
use cm_schemas::{BusError, ErrorCode};
use serde_json::{Map, Value, json};
use tokio_postgres::{GenericClient, Row};

use crate::ctx::Ctx;
use crate::row::RowExt;
use crate::{db, lifecycle};

const COLUMNS: &str = "key, value, updated_at";

pub async fn list(ctx: Arc<Ctx>, req: ListSettings) -> Result<SettingList, BusError> {
    let client = ctx.pool.get().await.map_err(db::error)?;
    let scope = scope(&**client, req.session_id.as_deref()).await?;
    let rows = client
        .query(
            &format!("SELECT {COLUMNS} FROM session.settings WHERE session_id = $1 ORDER BY key"),
            &[&scope],
        )
        .await
        .map_err(db::error)?;
    Ok(SettingList {
        settings: rows.iter().map(setting).collect::<Result<_, _>>()?,
    })
}

pub async fn get(ctx: Arc<Ctx>, req: SettingRef) -> Result<Setting, BusError> {
    check_key(&req.key)?;
    let client = ctx.pool.get().await.map_err(db::error)?;
    let scope = scope(&**client, req.session_id.as_deref()).await?;
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM session.settings WHERE session_id = $1 AND key = $2"),
            &[&scope, &req.key],
        )
        .await
        .map_err(db::error)?;
    row.map(|r| setting(&r))
        .ok_or_else(|| BusError::not_found("setting", &req.key))?
}

pub async fn set(ctx: Arc<Ctx>, req: SetSetting) -> Result<Setting, BusError> {
    check_key(&req.key)?;
    if req.value.is_null() {
        return Err(BusError::validation(
            "value",
            "a setting cannot be null: unset it instead",
        ));
    }
    check_size(&req.key, &req.value)?;
    let client = ctx.pool.get().await.map_err(db::error)?;
    let scope = write_scope(&**client, req.session_id.as_deref()).await?;
    let row = client
        .query_one(
            &format!(
                "INSERT INTO session.settings (session_id, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (session_id, key) DO UPDATE SET value = EXCLUDED.value,
                    updated_at = now()
                 RETURNING {COLUMNS}"
            ),
            &[&scope, &req.key, &req.value],
        )
        .await
        .map_err(db::error)?;
    setting(&row)
}

pub async fn merge(ctx: Arc<Ctx>, req: MergeSetting) -> Result<Setting, BusError> {
    check_key(&req.key)?;
    if !req.patch.is_object() {
        return Err(BusError::validation(
            "patch",
            "a merge patch must be a JSON object",
        ));
    }
    let mut client = ctx.pool.get().await.map_err(db::error)?;
    let scope = write_scope(&**client, req.session_id.as_deref()).await?;
    let tx = client.transaction().await.map_err(db::error)?;
    // Create the row first so that concurrent merges of a new key queue on its lock.
    tx.execute(
        "INSERT INTO session.settings (session_id, key, value) VALUES ($1, $2, '{}')
         ON CONFLICT (session_id, key) DO NOTHING",
        &[&scope, &req.key],
    )
    .await
    .map_err(db::error)?;
    let row = tx
        .query_one(
            "SELECT value FROM session.settings WHERE session_id = $1 AND key = $2 FOR UPDATE",
            &[&scope, &req.key],
        )
        .await
        .map_err(db::error)?;
    let mut value = value_of(row.col("value")?);
    if !value.is_object() {
        return Err(BusError::new(
            ErrorCode::Conflict,
            format!("setting {} is not an object: replace it instead", req.key),
        )
        .with_details(json!({ "key": req.key, "reason": "not_an_object" })));
    }
    merge_patch(&mut value, &req.patch);
    check_size(&req.key, &value)?;
    let row = tx
        .query_one(
            &format!(
                "UPDATE session.settings SET value = $3, updated_at = now()
                 WHERE session_id = $1 AND key = $2 RETURNING {COLUMNS}"
            ),
            &[&scope, &req.key, &value],
        )
        .await
        .map_err(db::error)?;
    let merged = setting(&row)?;
    tx.commit().await.map_err(db::error)?;
    Ok(merged)
}

pub async fn unset(ctx: Arc<Ctx>, req: SettingRef) -> Result<SettingRef, BusError> {
    check_key(&req.key)?;
    let client = ctx.pool.get().await.map_err(db::error)?;
    let scope = write_scope(&**client, req.session_id.as_deref()).await?;
    let deleted = client
        .execute(
            "DELETE FROM session.settings WHERE session_id = $1 AND key = $2",
            &[&scope, &req.key],
        )
        .await
        .map_err(db::error)?;
    if deleted == 0 {
        return Err(BusError::not_found("setting", &req.key));
    }
    Ok(req)
}

/// [`scope`] for a write: a system-owned session's settings are its owner's (`forbidden`).
async fn write_scope(db: &impl GenericClient, session: Option<&str>) -> Result<String, BusError> {
    match session {
        None => Ok(String::new()),
        Some(id) => lifecycle::writable(db, id).await.map(|s| s.id),
    }
}

/// `''` for global settings; a session's id once it is known to be live.
async fn scope(db: &impl GenericClient, session: Option<&str>) -> Result<String, BusError> {
    match session {
        None => Ok(String::new()),
        Some(id) => lifecycle::live(db, id).await.map(|s| s.id),
    }
}

fn check_key(key: &str) -> Result<(), BusError> {
    if valid_setting_key(key) {
        return Ok(());
    }
    Err(BusError::validation(
        "key",
        format!("a setting key is 1 to {MAX_SETTING_KEY_LEN} characters of A-Z a-z 0-9 . _ -"),
    ))
}

fn check_size(key: &str, value: &Value) -> Result<(), BusError> {
    let size = serde_json::to_vec(value).map_or(usize::MAX, |v| v.len());
    if size <= MAX_SETTING_VALUE_BYTES {
        return Ok(());
    }
    Err(BusError::new(
        ErrorCode::PayloadTooLarge,
        format!("setting {key} is {size} bytes; the limit is {MAX_SETTING_VALUE_BYTES}"),
    )
    .with_details(json!({ "field": "value", "limit": MAX_SETTING_VALUE_BYTES, "size": size })))
}

/// RFC 7396: members of an object patch are merged recursively, `null` removes one, anything
/// else replaces the target.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in members {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn setting(row: &Row) -> Result<Setting, BusError> {
    Ok(Setting {
        key: row.col("key")?,
        value: value_of(row.col("value")?),
        updated_at: row.col("updated_at")?,
    })
}

/// A stored value: SQL NULL reads as JSON `null` (as a jsonb `null` does), never as a failure.
fn value_of(stored: Option<Value>) -> Value {
    stored.unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut v = json!({ "a": "b", "c": { "d": "e", "f": "g" }, "keep": [1, 2] });
        merge_patch(
            &mut v,
            &json!({ "a": "z", "c": { "f": null, "h": 1 }, "keep": [3] }),
        );
        assert_eq!(
            v,
            json!({ "a": "z", "c": { "d": "e", "h": 1 }, "keep": [3] })
        );
        let mut scalar = json!({ "x": 1 });
        merge_patch(&mut scalar, &json!({ "x": { "y": null, "z": 2 } }));
        assert_eq!(scalar, json!({ "x": { "z": 2 } }));
    }

    #[test]
    fn values_are_bounded() {
        let big = Value::String("x".repeat(MAX_SETTING_VALUE_BYTES));
        let err = check_size("k", &big).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::PayloadTooLarge));
        assert!(check_size("k", &json!({ "ok": true })).is_ok());
    }

    /// Issue #11: `value` is read as `Option<Value>` the way `RowExt::col` reads it (`try_get`
    /// calls `from_sql_nullable`), so SQL NULL and a jsonb `null` both come back as `null`.
    #[test]
    fn a_null_value_reads_as_null() {
        use tokio_postgres::types::{FromSql, Type};

        let sql_null = Option::<Value>::from_sql_nullable(&Type::JSONB, None).unwrap();
        assert_eq!(value_of(sql_null), Value::Null);
        // jsonb on the wire: a version byte, then the JSON text.
        let json_null =
            Option::<Value>::from_sql_nullable(&Type::JSONB, Some(b"\x01null")).unwrap();
        assert_eq!(value_of(json_null), Value::Null);
        let object =
            Option::<Value>::from_sql_nullable(&Type::JSONB, Some(b"\x01{\"a\":1}")).unwrap();
        assert_eq!(value_of(object), json!({ "a": 1 }));
        // What `Row::get::<Value>` panicked on is an error for a non-optional read.
        assert!(Value::from_sql_nullable(&Type::JSONB, None).is_err());
    }

    #[test]
    fn a_number_near_f64_max_reads_back_as_postgres_writes_it() {
        // jsonb hands -1.7976931348623157e308 back as its 309 digits.
        let digits = format!("-17976931348623157{}", "0".repeat(292));
        let v: Result<Value, _> = serde_json::from_str(&digits);
        assert_eq!(v.ok().and_then(|v| v.as_f64()), Some(-f64::MAX));
    }
}
