//! Property tests (proptest, 256 cases each, so they run in seconds under `cargo test`): the
//! runtime's output is arbitrary, and nothing the bridge does with it may panic.
//!
//! - the line decoder ([`crate::appserver`]'s `BoundedLines`): arbitrary bytes in arbitrary
//!   chunks frame exactly like a model of the rules, never buffer past the bound, and valid JSON
//!   messages written one per line come back equal;
//! - message routing: arbitrary JSON never panics;
//! - the normalizer: arbitrary notifications with arbitrary method names never panic and always
//!   yield events that serialize without U+0000.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Strings that often hold the characters that matter: NUL, U+FFFD, quotes, backslashes,
/// newlines, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(
            prop_oneof![
                Just('\0'), Just('\u{FFFD}'), Just('"'), Just('\\'), Just('\n'), Just('\r'),
                Just('é'), Just('a'), Just('/'), any::<char>()
            ],
            0..12
        )
        .prop_map(|cs| cs.into_iter().collect()),
        1 => any::<String>(),
    ]
}

/// Keys the normalizer looks up, so its branches see shaped input, and arbitrary ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "threadId", "turnId", "itemId", "turn", "item", "id", "type", "status", "delta",
            "error", "message", "rootTurnId", "plan", "diff", "tokenUsage", "rateLimits",
            "willRetry", "summary", "changes", "explanation", "requestId",
        ])
        .prop_map(str::to_owned),
        1 => text(),
    ]
}

/// Arbitrary JSON without floats (floats need not round-trip exactly through text).
pub fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Method names: every one the normalizer maps, and arbitrary ones.
fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "turn/started", "turn/completed", "item/started", "item/completed",
            "item/agentMessage/delta", "item/reasoning/summaryTextDelta",
            "item/reasoning/textDelta", "item/commandExecution/outputDelta",
            "item/fileChange/outputDelta", "turn/plan/updated", "turn/diff/updated",
            "item/fileChange/patchUpdated", "item/mcpToolCall/progress", "thread/status/changed",
            "account/rateLimits/updated", "error", "warning", "guardianWarning", "configWarning",
            "deprecationNotice", "thread/tokenUsage/updated", "serverRequest/resolved",
            "thread/search/partial",
        ])
        .prop_map(str::to_owned),
        1 => text(),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_normalizer_never_panics_and_never_emits_nul(
        method in method(),
        params in json(),
        shaped in json(),
        thread in proptest::option::of(text()),
    ) {
        // Half of the cases get a params object with a thread and a nested value, so the
        // session-scoped branches run too.
        let params = match (thread, params) {
            (Some(thread), _) => serde_json::json!({
                "threadId": thread, "turnId": "t", "turn": shaped.clone(), "item": shaped,
            }),
            (None, params) => params,
        };
        let event = crate::normalize("bridge-1", &method, &params);
        let text = serde_json::to_string(&event).unwrap();
        prop_assert!(!text.contains("\\u0000"), "{}", text);
        prop_assert!(!text.contains('\0'));
        // And it reads back as the same event.
        let back: cm_schemas::Event = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back.body.kind(), event.body.kind());
    }
}
