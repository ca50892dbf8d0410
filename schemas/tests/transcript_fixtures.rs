//! Golden fixtures for the transcript fold: each `*.events.json` under `fixtures/transcript/`
//! folds to its `*.transcript.json`. `UPDATE_FIXTURES=1` rewrites the expected files.

use std::path::PathBuf;

use cm_schemas::Event;
use cm_schemas::transcript::Transcript;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/transcript")
}

#[test]
fn fixtures_fold_to_their_expected_transcript() {
    let mut seen = 0;
    let entries = std::fs::read_dir(dir()).unwrap_or_else(|e| panic!("{e}"));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path.to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".events.json") else {
            continue;
        };
        seen += 1;
        let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let events: Vec<Event> =
            serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = serde_json::to_value(Transcript::from_events(&events))
            .unwrap_or_else(|e| panic!("{e}"));
        let expected_path = format!("{stem}.transcript.json");
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            let text = serde_json::to_string_pretty(&got).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&expected_path, text + "\n").unwrap_or_else(|e| panic!("{e}"));
            continue;
        }
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{expected_path}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{expected_path}: {e}"));
        assert_eq!(got, expected, "{name}");
    }
    assert!(seen >= 3, "expected at least three fixtures, found {seen}");
}
