#!/usr/bin/env bash
# Test command: installs what is missing, then runs every check CI runs — formatting, clippy,
# the whole test suite against real nats-server, Postgres and codex app-server, and the offline
# validation of the deployment files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
started=$(date +%s)
# Every gateway the tests start logs its requests here; api-coverage then checks that each
# operation of schemas/openapi.json was reached by some test (docs/api.md).
export CM_API_COVERAGE_DIR="$CARGO_TARGET_DIR/api-coverage"
rm -rf "$CM_API_COVERAGE_DIR" && mkdir -p "$CM_API_COVERAGE_DIR"
scripts/install-deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The CLI tests drive the built service binaries.
cargo build --workspace --bins --locked
cargo test --workspace --exclude cm-e2e --exclude cm-faults --locked --no-fail-fast
# Each end-to-end test runs a whole stack (nats-server, Postgres, codex app-server, four
# services): one at a time, so two stacks never fight over this machine's two cores.
cargo test -p cm-e2e --locked --no-fail-fast -- --test-threads=1
# The fault suite: kill -9 of each process under `codex-manager up --demo` mid-turn, then no
# event lost or doubled, every turn terminal, snapshot = deltas (docs/reliability.md).
cargo test -p cm-faults --locked -- --nocapture
# The web UI: its committed API types match schemas/openapi.json, it builds, and its unit tests
# pass (Vitest: the stream reducer, reconnects, request cards); test-browser.sh drives it in
# Chromium.
scripts/build-web.sh
(cd web && npx vitest run)
# Screenshots of test runs go next to the build, not over the ones committed in docs/.
CM_SCREENSHOT_DIR="${CM_SCREENSHOT_DIR:-$CARGO_TARGET_DIR/screenshots}" scripts/test-browser.sh
# The API under schemathesis: every operation fuzzed against a throw-away stack, which must
# still serve afterwards (docs/api.md, "Fuzzing").
scripts/test-api-fuzz.sh
cargo run -q -p cm-e2e --bin api-coverage --locked
scripts/check-compose.sh
echo "test.sh: all checks passed in $(( $(date +%s) - started )) s"
