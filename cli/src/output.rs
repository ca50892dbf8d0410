//! What commands print: pretty JSON with `--json`, else tables (`comfy-table`) and key/value
//! lists. Everything goes to stdout; notices and errors go to stderr.

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Map, Value};

/// Widest cell in a table; longer values are cut with `…`.
const MAX_CELL: usize = 60;
/// Most columns [`auto_table`] shows.
const MAX_COLUMNS: usize = 7;

/// The output mode of this invocation.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// With `--json`, `value` as pretty JSON; otherwise whatever `human` prints.
    pub fn show(&self, value: &Value, human: impl FnOnce(&Value)) {
        if self.json {
            print_json(value);
        } else {
            human(value);
        }
    }

    /// With `--json`, `value`; otherwise the generic rendering ([`generic`]).
    pub fn any(&self, value: &Value) {
        self.show(value, generic);
    }

    /// With `--json`, `value`; otherwise one line.
    pub fn done(&self, value: &Value, line: &str) {
        self.show(value, |_| println!("{line}"));
    }
}

pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// The items of a JSON array (none when it is not one).
pub fn slice(v: &Value) -> &[Value] {
    v.as_array().map_or(&[][..], Vec::as_slice)
}

/// A value as one table cell: strings without quotes, `-` for null, compact JSON otherwise.
pub fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = text.replace('\n', " ");
    if text.chars().count() > MAX_CELL {
        let cut: String = text.chars().take(MAX_CELL - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn new_table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().map(|h| h.to_uppercase()));
    table
}

/// Prints rows under headers; `empty` when there are none.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>, empty: &str) {
    if rows.is_empty() {
        println!("{empty}");
        return;
    }
    let mut t = new_table(headers);
    for row in rows {
        t.add_row(row);
    }
    println!("{}", t.trim_fmt());
}

/// Prints items as a table of the given `(header, JSON pointer)` columns.
pub fn items(items: &[Value], columns: &[(&str, &str)], empty: &str) {
    let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let rows = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|(_, ptr)| cell(item.pointer(ptr).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    table(&headers, rows, empty);
}

/// Prints `key  value` lines, aligned.
pub fn kv(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        println!("{k:<width$}  {v}");
    }
}

/// An object as aligned `key  value` lines.
pub fn object(map: &Map<String, Value>) {
    let pairs: Vec<(&str, String)> = map
        .iter()
        .map(|(k, v)| (k.as_str(), cell_full(v)))
        .collect();
    kv(&pairs);
}

/// Like [`cell`] but never cut.
fn cell_full(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Any answer, readably: lists of objects as tables, other fields as `key  value`.
pub fn generic(value: &Value) {
    match value {
        Value::Array(list) => auto_table(list),
        Value::Object(map) => {
            let (lists, rest): (Vec<_>, Vec<_>) = map.iter().partition(|(_, v)| {
                v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
                    && !v.as_array().is_some_and(Vec::is_empty)
            });
            let rest: Map<String, Value> = rest
                .into_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            object(&rest);
            for (name, list) in lists {
                println!("\n{name}:");
                auto_table(slice(list));
            }
        }
        Value::Null => {}
        other => println!("{}", cell_full(other)),
    }
}

/// A table whose columns are the keys of the items, in order of first appearance, preferring
/// keys with plain values.
pub fn auto_table(list: &[Value]) {
    if !list.iter().all(Value::is_object) {
        for v in list {
            println!("{}", cell_full(v));
        }
        return;
    }
    let mut keys: Vec<&str> = Vec::new();
    for item in list {
        for (k, v) in item.as_object().into_iter().flatten() {
            if !keys.contains(&k.as_str()) && !v.is_object() && !v.is_array() {
                keys.push(k);
            }
        }
    }
    keys.truncate(MAX_COLUMNS);
    let columns: Vec<(&str, String)> = keys.iter().map(|k| (*k, format!("/{k}"))).collect();
    let columns: Vec<(&str, &str)> = columns.iter().map(|(h, p)| (*h, p.as_str())).collect();
    items(list, &columns, "(none)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_plain_and_short() {
        assert_eq!(cell(&json!(null)), "-");
        assert_eq!(cell(&json!("a\nb")), "a b");
        assert_eq!(cell(&json!({"a": 1})), r#"{"a":1}"#);
        let long = "x".repeat(100);
        assert_eq!(cell(&json!(long)).chars().count(), MAX_CELL);
    }
}
