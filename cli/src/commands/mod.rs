//! The API commands, one module per group. Each module has `Args` (its clap subcommands, with
//! examples in `after_help`), `run`, and `OPS`: which command calls which API operation.

pub mod account;
pub mod api;
pub mod apps;
pub mod bus;
pub mod completions;
pub mod config;
pub mod controls;
pub mod db;
pub mod jobs;
pub mod mcp;
pub mod models;
#[cfg(test)]
mod parity;
pub mod profile;
pub mod projects;
pub mod requests;
pub mod runtime;
pub mod sessions;
pub mod settings;
pub mod skills;
pub mod stream;
pub mod system;

use std::io::Read;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::exit::CliError;
use crate::ops::Op;
use crate::output::Output;

/// What an API command works with.
pub struct Ctx {
    pub client: Client,
    pub out: Output,
}

/// Every `(command, operation)` pair, group by group. A command may call more than one
/// operation (`settings list` calls the global or the session one), and an operation may have
/// more than one command (`approvals list` and `tool-input list` both list requests).
pub fn all_ops() -> Vec<(&'static str, &'static Op)> {
    [
        system::OPS,
        projects::OPS,
        sessions::OPS,
        stream::OPS,
        requests::OPS,
        jobs::OPS,
        controls::OPS,
        settings::OPS,
        models::OPS,
        account::OPS,
        config::OPS,
        mcp::OPS,
        skills::OPS,
        apps::OPS,
        runtime::OPS,
    ]
    .concat()
}

/// `--limit` and `--cursor` of the runtime's paged lists (models, apps, MCP servers, features).
#[derive(Debug, clap::Args)]
pub struct Page {
    /// At most this many per page.
    #[arg(long)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[arg(long)]
    pub cursor: Option<String>,
}

/// A JSON argument: inline JSON, `@path` for a file, `-` for stdin.
pub fn json_arg(raw: &str) -> anyhow::Result<Value> {
    let text = if raw == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading JSON from stdin")?;
        text
    } else if let Some(path) = raw.strip_prefix('@') {
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
    } else {
        raw.to_owned()
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("invalid JSON ({e}): {}", text.trim())).into())
}

/// A request body declared in `cm_schemas`, as the JSON the client sends.
pub fn body(typed: &impl Serialize) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(typed)?)
}

/// A patch body (its absent fields left out), refused when it changes nothing.
pub fn change(patch: &impl Serialize, flags: &str) -> anyhow::Result<Value> {
    let v = body(patch)?;
    if v.as_object().is_some_and(|o| o.is_empty()) {
        return Err(CliError::usage(format!("nothing to change: give {flags}")).into());
    }
    Ok(v)
}

/// `--data` (a JSON argument) read as the typed body it starts; the empty one without it.
pub fn data_as<T: DeserializeOwned + Default>(data: Option<&str>) -> anyhow::Result<T> {
    let Some(raw) = data else {
        return Ok(T::default());
    };
    serde_json::from_value(json_arg(raw)?)
        .map_err(|e| CliError::usage(format!("--data: {e}")).into())
}

/// A nullable field of a patch body: absent, `null` (`clear`) or a value.
pub fn nullable<T>(clear: bool, value: Option<T>) -> Option<Option<T>> {
    if clear { Some(None) } else { value.map(Some) }
}

/// `--data` merged under the fields the flags set (flags win).
pub fn merge(data: Option<&str>, fields: Value) -> anyhow::Result<Value> {
    let mut base = match data {
        Some(raw) => json_arg(raw)?,
        None => Value::Object(Default::default()),
    };
    let Some(obj) = base.as_object_mut() else {
        return Err(CliError::usage("--data must be a JSON object").into());
    };
    if let Value::Object(fields) = fields {
        for (k, v) in fields {
            if !v.is_null() {
                obj.insert(k, v);
            }
        }
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_are_merged_over_data_and_nulls_are_left_out() {
        let v = merge(Some(r#"{"a": 1, "b": 2}"#), json!({"b": 3, "c": null})).unwrap_or_default();
        assert_eq!(v, json!({"a": 1, "b": 3}));
        assert!(merge(Some("[1]"), json!({})).is_err());
        assert!(json_arg("{nope").is_err());
    }
}
