//! The job spec's checks and its strings.

use super::*;

#[test]
fn a_spec_is_tagged_by_kind_with_its_fields_beside_it() {
    let job: Job = serde_json::from_value(serde_json::json!({"kind": "noop", "sleepMs": 5}))
        .unwrap_or(Job::Noop(NoopJob::default()));
    assert_eq!(
        job,
        Job::Noop(NoopJob {
            version: 1,
            sleep_ms: Some(5),
            fail_attempts: 0,
            fatal: false
        })
    );
    assert_eq!(job.kind(), "noop");
    let bad = serde_json::from_value::<Job>(serde_json::json!({"kind": "nope"}));
    assert!(bad.is_err());
    let typo = serde_json::from_value::<Job>(serde_json::json!({"kind": "noop", "slep": 1}));
    assert!(typo.is_err(), "unknown fields are refused");
}

#[test]
fn an_agent_instruction_is_checked_beyond_its_types() {
    let ok: Job = serde_json::from_value(serde_json::json!({
        "kind": "agent_instruction", "instruction": "Say hi", "expectJson": true,
        "overrides": { "approvalPolicy": "never" }
    }))
    .unwrap_or(Job::Noop(NoopJob::default()));
    assert_eq!(
        (ok.kind(), ok.version(), ok.check()),
        ("agent_instruction", 1, Ok(()))
    );
    let field = |spec: serde_json::Value| {
        serde_json::from_value::<Job>(spec)
            .ok()
            .and_then(|j| j.check().err())
            .map(|(f, _)| f)
    };
    let long = "x".repeat(MAX_INSTRUCTION_CHARS + 1);
    assert_eq!(
        field(serde_json::json!({"kind": "agent_instruction", "instruction": " "})),
        Some("spec.instruction")
    );
    assert_eq!(
        field(serde_json::json!({"kind": "agent_instruction", "instruction": long})),
        Some("spec.instruction")
    );
    assert_eq!(
        field(serde_json::json!({"kind": "agent_instruction", "instruction": "x", "cwd": "tmp"})),
        Some("spec.cwd")
    );
    let missing = serde_json::from_value::<Job>(serde_json::json!({"kind": "agent_instruction"}));
    assert!(missing.is_err(), "instruction is required");
    let sleep = MAX_NOOP_SLEEP_MS + 1;
    assert_eq!(
        field(serde_json::json!({"kind": "noop", "sleepMs": sleep})),
        Some("spec.sleepMs")
    );
    assert_eq!(
        field(serde_json::json!({"kind": "noop", "sleepMs": 5})),
        None
    );
}

#[test]
fn states_and_classes_round_trip_their_strings() {
    for s in ["queued", "running", "completed", "failed", "canceled"] {
        assert_eq!(JobState::parse(s).map(JobState::as_str), Some(s));
    }
    for c in ["retryable", "fatal", "timeout", "lost", "invalid"] {
        assert_eq!(JobErrorClass::parse(c).map(JobErrorClass::as_str), Some(c));
    }
}
