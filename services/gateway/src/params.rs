//! The parsers of what clients put in paths, query strings and headers — resume points, page
//! sizes, cursors, path ids — with their ranges in one place, so the handlers, the path check
//! and the OpenAPI document (`crate::openapi`) agree on what is accepted.
//!
//! Every parser answers `400 validation` naming the field for anything outside its range;
//! none of them panics or overflows on any input (the property tests below).

use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cm_schemas::BusError;

use crate::error::ApiError;

/// Most digits of a resume point (`Last-Event-ID`, `?after`): 10^18 - 1 is far beyond any
/// stream sequence, fits Postgres' `bigint` (the event history) and leaves room for `+ 1`.
pub const MAX_SEQ_DIGITS: usize = 18;
/// The largest resume point.
pub const MAX_SEQ: u64 = 999_999_999_999_999_999;
/// The regular expression of a resume point, as the document states it.
pub const SEQ_PATTERN: &str = "^[0-9]{1,18}$";

/// Page sizes of `GET /api/sessions`.
pub const MIN_LIMIT: u32 = 1;
pub const MAX_LIMIT: u32 = 200;
/// A page cursor as the session service writes `nextCursor`: microseconds, `~`, the last id.
pub const CURSOR_PATTERN: &str = r"^[0-9]{1,16}~[^\x00-\x1f\x7f-\x9f]{1,200}$";

/// A page cursor of `GET /api/jobs`: the queue worker's `nextCursor`, the last job id of the
/// previous page (a UUID, in its hyphenated form).
pub const JOB_CURSOR_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// A job kind as a filter (`?kind=` of `GET /api/jobs`): 1 to 64 of `a-z 0-9 _ -`, as the
/// worker names kinds (`noop`).
pub const JOB_KIND_PATTERN: &str = "^[a-z0-9_-]{1,64}$";

/// Longest path id (session, project, request, transcript entry, MCP server), in characters.
pub const MAX_ID_LEN: usize = 200;
/// A path id: 1 to [`MAX_ID_LEN`] characters, none of them a control character, whitespace,
/// or one of `.`, `*`, `>` (ids become NATS subject tokens).
pub const ID_PATTERN: &str = r"^[^\s\x00-\x1f\x7f-\x9f.*>]{1,200}$";
/// A name the client or the runtime's configuration chose (`{messageId}`, an MCP server's
/// `{name}`): 1 to [`MAX_ID_LEN`] characters, none of them a control character.
pub const NAME_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]{1,200}$";
/// Free text in a query string (the system routes' string parameters): no control characters.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// A setting key: 1 to 128 of `A-Z a-z 0-9 . _ -` (what the session service stores).
pub const KEY_PATTERN: &str = "^[A-Za-z0-9._-]{1,128}$";
pub const MAX_KEY_LEN: usize = 128;

/// A stream sequence given as text: 1 to [`MAX_SEQ_DIGITS`] ASCII digits.
pub fn parse_seq(field: &str, text: &str) -> Result<u64, BusError> {
    let digits = text.len() <= MAX_SEQ_DIGITS && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u64>() {
        Ok(seq) if digits => Ok(seq),
        _ => Err(BusError::validation(
            field,
            format!("{field} must be a stream sequence: 1 to {MAX_SEQ_DIGITS} digits"),
        )),
    }
}

/// `?after=` already parsed as a number: at most [`MAX_SEQ`].
pub fn check_seq(field: &str, seq: u64) -> Result<u64, BusError> {
    if seq <= MAX_SEQ {
        Ok(seq)
    } else {
        Err(BusError::validation(
            field,
            format!("{field} must be at most {MAX_SEQ}"),
        ))
    }
}

/// A page size in `MIN_LIMIT..=MAX_LIMIT`.
pub fn check_limit(limit: Option<u32>) -> Result<Option<u32>, BusError> {
    match limit {
        Some(n) if !(MIN_LIMIT..=MAX_LIMIT).contains(&n) => Err(BusError::validation(
            "limit",
            format!("limit must be {MIN_LIMIT} to {MAX_LIMIT}"),
        )),
        other => Ok(other),
    }
}

/// A cursor: what a previous page's `nextCursor` said ([`CURSOR_PATTERN`]).
pub fn check_cursor(cursor: Option<&str>) -> Result<(), BusError> {
    let Some(c) = cursor else { return Ok(()) };
    let ok = c.split_once('~').is_some_and(|(micros, id)| {
        (1..=16).contains(&micros.len())
            && micros.bytes().all(|b| b.is_ascii_digit())
            && (1..=MAX_ID_LEN).contains(&id.chars().count())
            && !id.chars().any(char::is_control)
    });
    if ok {
        Ok(())
    } else {
        Err(BusError::validation(
            "cursor",
            "cursor must be the nextCursor of a previous page",
        ))
    }
}

/// A job cursor (see [`JOB_CURSOR_PATTERN`]).
pub fn check_job_cursor(cursor: Option<&str>) -> Result<(), BusError> {
    let Some(c) = cursor else { return Ok(()) };
    if c.len() == 36 && uuid::Uuid::try_parse(c).is_ok() && c.as_bytes()[8] == b'-' {
        Ok(())
    } else {
        Err(BusError::validation(
            "cursor",
            "cursor must be the nextCursor of a previous page",
        ))
    }
}

/// A job kind filter (see [`JOB_KIND_PATTERN`]).
pub fn check_job_kind(kind: Option<&str>) -> Result<(), BusError> {
    let Some(k) = kind else { return Ok(()) };
    let ok = (1..=64).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(BusError::validation(
            "kind",
            "kind must be 1 to 64 of a-z 0-9 _ -",
        ))
    }
}

/// A job's path id: the worker's ids are UUIDs, so any other id names no job (`404`, like an
/// unknown UUID).
pub fn job_id(id: &str) -> Result<uuid::Uuid, BusError> {
    uuid::Uuid::try_parse(id).map_err(|_| BusError::not_found("job", id))
}

/// A path id (see [`ID_PATTERN`]).
pub fn check_id(field: &str, id: &str) -> Result<(), BusError> {
    let len = id.chars().count();
    let ok = (1..=MAX_ID_LEN).contains(&len)
        && id
            .chars()
            .all(|c| !matches!(c, '.' | '*' | '>') && !c.is_whitespace() && !c.is_control());
    if ok {
        Ok(())
    } else {
        Err(BusError::validation(
            field,
            format!(
                "{field} must be 1 to {MAX_ID_LEN} characters without spaces, control characters, '.', '*' or '>'"
            ),
        ))
    }
}

/// A client-chosen name (see [`NAME_PATTERN`]).
pub fn check_name(field: &str, name: &str) -> Result<(), BusError> {
    let len = name.chars().count();
    if (1..=MAX_ID_LEN).contains(&len) && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(BusError::validation(
            field,
            format!("{field} must be 1 to {MAX_ID_LEN} characters without control characters"),
        ))
    }
}

/// A setting key (see [`KEY_PATTERN`]).
pub fn check_key(key: &str) -> Result<(), BusError> {
    let ok = (1..=MAX_KEY_LEN).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(BusError::validation(
            "key",
            "a setting key is 1 to 128 characters of A-Z a-z 0-9 . _ -",
        ))
    }
}

/// One path parameter by its name in the route template.
pub fn check_path_param(name: &str, value: &str) -> Result<(), BusError> {
    match name {
        "key" => check_key(value),
        "messageId" | "name" => check_name(name, value),
        _ => check_id(name, value),
    }
}

/// Middleware on every `/api` route: each path parameter passes [`check_path_param`] before
/// the request reaches the idempotency store, a handler or the bus. Parameters that are not
/// UTF-8 once percent-decoded are refused here too.
pub async fn check_path(
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    let params = match params {
        Ok(p) => p,
        Err(e) => {
            return ApiError(BusError::validation("path", e.body_text())).into_response();
        }
    };
    for (name, value) in &params {
        if let Err(e) = check_path_param(name, value) {
            return ApiError(e).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sequences_are_bounded_digits() {
        assert_eq!(parse_seq("Last-Event-ID", "0").ok(), Some(0));
        assert_eq!(parse_seq("Last-Event-ID", "007").ok(), Some(7));
        assert_eq!(
            parse_seq("Last-Event-ID", &MAX_SEQ.to_string()).ok(),
            Some(MAX_SEQ)
        );
        for bad in [
            "",
            " 1",
            "+1",
            "-1",
            "1.0",
            "18446744073709551615",
            "1000000000000000000",
            "٣",
        ] {
            assert!(parse_seq("Last-Event-ID", bad).is_err(), "{bad:?}");
        }
        assert!(check_seq("after", u64::MAX).is_err());
        assert!(check_seq("after", MAX_SEQ).is_ok());
    }

    #[test]
    fn limits_cursors_ids_and_keys() {
        assert!(check_limit(Some(0)).is_err());
        assert!(check_limit(Some(201)).is_err());
        assert_eq!(check_limit(Some(200)).ok(), Some(Some(200)));
        assert_eq!(check_limit(None).ok(), Some(None));
        assert!(check_cursor(Some("")).is_err());
        assert!(check_cursor(Some("a\u{0}")).is_err());
        assert!(check_cursor(Some("1733560000000000~abc")).is_ok());
        assert!(check_cursor(Some("1733560000000000~a~b")).is_ok());
        assert!(check_cursor(Some("junk")).is_err());
        assert!(check_id("id", "\u{0}").is_err());
        assert!(check_id("id", &"a".repeat(201)).is_err());
        assert!(check_id("id", "019ab3c4-1111-7aaa-8bbb-0c0d0e0f1011").is_ok());
        assert!(check_key("ui.preferences").is_ok());
        assert!(check_key("ui prefs").is_err());
        assert!(check_job_cursor(Some("0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d")).is_ok());
        assert!(check_job_cursor(Some("0193b0c25a7e7f108c2d4e6f8a9b0c1d")).is_err());
        assert!(check_job_cursor(Some("1733560000000000~abc")).is_err());
        assert!(check_job_kind(Some("noop")).is_ok());
        assert!(check_job_kind(Some("No op")).is_err());
        assert!(job_id("nope").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(s in any::<String>(), n in any::<u64>(), l in any::<u32>()) {
            let _ = parse_seq("Last-Event-ID", &s);
            let _ = check_seq("after", n);
            let _ = check_limit(Some(l));
            let _ = check_cursor(Some(&s));
            let _ = check_id("id", &s);
            let _ = check_key(&s);
            let _ = check_name("name", &s);
            let _ = check_job_cursor(Some(&s));
            let _ = check_job_kind(Some(&s));
            let _ = job_id(&s);
        }

        #[test]
        fn job_cursors_matching_the_pattern_are_accepted(
            c in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
        ) {
            prop_assert!(check_job_cursor(Some(&c)).is_ok());
        }

        #[test]
        fn job_kinds_matching_the_pattern_are_accepted(k in "[a-z0-9_-]{1,64}") {
            prop_assert!(check_job_kind(Some(&k)).is_ok());
        }

        #[test]
        fn valid_sequences_round_trip(seq in 0..=MAX_SEQ) {
            prop_assert_eq!(parse_seq("after", &seq.to_string()).ok(), Some(seq));
            prop_assert_eq!(check_seq("after", seq).ok(), Some(seq));
        }

        #[test]
        fn digit_strings_parse_exactly_when_short_enough(s in "[0-9]{1,24}") {
            prop_assert_eq!(parse_seq("after", &s).is_ok(), s.len() <= MAX_SEQ_DIGITS);
        }

        #[test]
        fn valid_limits_round_trip(l in MIN_LIMIT..=MAX_LIMIT) {
            prop_assert_eq!(check_limit(Some(l)).ok(), Some(Some(l)));
        }

        #[test]
        fn ids_matching_the_pattern_are_accepted(id in r"[^\s\x00-\x1f\x7f-\x9f.*>]{1,200}") {
            prop_assert!(check_id("id", &id).is_ok());
        }

        #[test]
        fn cursors_matching_the_pattern_are_accepted(c in r"[0-9]{1,16}~[^\x00-\x1f\x7f-\x9f]{1,200}") {
            prop_assert!(check_cursor(Some(&c)).is_ok());
        }

        #[test]
        fn names_matching_the_pattern_are_accepted(n in r"[^\x00-\x1f\x7f-\x9f]{1,200}") {
            prop_assert!(check_name("messageId", &n).is_ok());
        }

        #[test]
        fn keys_matching_the_pattern_are_accepted(key in "[A-Za-z0-9._-]{1,128}") {
            prop_assert!(check_key(&key).is_ok());
        }
    }
}
