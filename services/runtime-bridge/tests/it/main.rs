//! Integration tests of the app-server client against fault-injecting fakes: shell scripts that
//! stand in for `codex app-server` where the real one cannot be made to misbehave on cue. The
//! real runtime is exercised end to end by `tests/e2e`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod skipped_lines;
