//! Text hygiene for strings that reach Postgres.
//!
//! Postgres `text` and `jsonb` cannot hold U+0000, so one NUL in one event would make the insert
//! fail. Everything that stores or publishes runtime text replaces U+0000 with U+FFFD (the
//! replacement character) through these functions, in string values and in object keys alike, so
//! the live stream and the stored snapshot carry the same text.

use serde_json::{Map, Value};

/// The character U+0000 is replaced with.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Replaces every U+0000 in `s` with U+FFFD; returns whether anything changed.
pub fn scrub_nul_str(s: &mut String) -> bool {
    if !s.contains('\0') {
        return false;
    }
    *s = s.replace('\0', "\u{FFFD}");
    true
}

/// Replaces every U+0000 in every string of `value` (object keys included) with U+FFFD; returns
/// whether anything changed. Values without a NUL are left untouched (no reallocation).
pub fn scrub_nul(value: &mut Value) -> bool {
    match value {
        Value::String(s) => scrub_nul_str(s),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| scrub_nul(v) | changed),
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains('\0')) {
                let old = std::mem::take(map);
                let mut scrubbed = Map::with_capacity(old.len());
                for (mut key, v) in old {
                    scrub_nul_str(&mut key);
                    scrubbed.insert(key, v);
                }
                *map = scrubbed;
                changed = true;
            }
            for v in map.values_mut() {
                changed |= scrub_nul(v);
            }
            changed
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clean_values_are_unchanged() {
        let mut v = json!({"a": ["b", 1, null, true, {"c": "d"}]});
        let before = v.clone();
        assert!(!scrub_nul(&mut v));
        assert_eq!(v, before);
    }

    #[test]
    fn nul_in_strings_and_keys_is_replaced() {
        let mut v = json!({"out\u{0}put": ["a\u{0}b", {"k": "\u{0}\u{0}"}], "n": 3});
        assert!(scrub_nul(&mut v));
        assert_eq!(
            v,
            json!({"out\u{FFFD}put": ["a\u{FFFD}b", {"k": "\u{FFFD}\u{FFFD}"}], "n": 3})
        );
        assert!(!serde_json::to_string(&v).unwrap().contains("\\u0000"));
        assert!(!scrub_nul(&mut v), "a second pass finds nothing");
    }

    #[test]
    fn str_variant_reports_change() {
        let mut s = String::from("a\0b");
        assert!(scrub_nul_str(&mut s));
        assert_eq!(s, "a\u{FFFD}b");
        let mut clean = String::from("ab");
        assert!(!scrub_nul_str(&mut clean));
        assert_eq!(clean, "ab");
    }

    #[test]
    fn colliding_keys_keep_one_entry() {
        // "a\0" and "a\u{FFFD}" collapse to one key; the scrub must not panic and keeps a value.
        let mut v = json!({"a\u{0}": 1, "a\u{FFFD}": 2});
        assert!(scrub_nul(&mut v));
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 1);
        assert!(obj.contains_key("a\u{FFFD}"));
    }
}
