//! Parsing the `jobs` flags.

use super::*;

#[test]
fn run_after_takes_a_time_or_an_offset() {
    let at = parse_when("2026-11-25T09:30:00Z").ok();
    assert_eq!(
        at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-25T09:30:00+00:00")
    );
    let soon = parse_when("+10m").unwrap_or_default();
    let ahead = soon - Utc::now();
    assert!(ahead > chrono::TimeDelta::seconds(590) && ahead <= chrono::TimeDelta::seconds(600));
    assert!(parse_when("+5x").is_err());
    assert!(parse_when("tomorrow").is_err());
}

#[test]
fn noop_flags_build_a_typed_spec() {
    use clap::Parser;
    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        e: EnqueueArgs,
    }
    let t = T::try_parse_from([
        "t",
        "--kind",
        "noop",
        "--sleep-ms",
        "5",
        "--fail-attempts",
        "1",
    ]);
    let spec = t
        .map_err(|e| e.to_string())
        .and_then(|t| spec(&t.e).map_err(|e| e.to_string()));
    assert_eq!(
        spec.ok(),
        Some(
            serde_json::json!({"kind": "noop", "version": 1, "sleepMs": 5, "failAttempts": 1, "fatal": false})
        )
    );
    assert!(
        T::try_parse_from(["t"]).is_err(),
        "--kind or --spec is required"
    );
    assert!(T::try_parse_from(["t", "--kind", "noop", "--spec", "{}"]).is_err());
}
