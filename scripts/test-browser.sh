#!/usr/bin/env bash
# Browser tests of the web UI (web/, served from --web-dir): builds the binaries and the web app
# (scripts/build-web.sh), starts a real `codex-manager up --demo --web-dir web/dist` on a
# temporary data directory and a free port, runs tests/browser (node's test runner, headless
# Debian Chromium through playwright-core) against it, and always stops the stack with SIGINT.
# Screenshots go to docs/screenshots/web-*.png (or $CM_SCREENSHOT_DIR).
#
# The runtime bridge inherits `up`'s environment, so the stack runs with the approval policy
# `untrusted` (a shell command asks first: the approval card) and codex's
# `default_mode_request_user_input` feature (a question: the user-input card).
#
# Ends with "N passed, N failed"; exits non-zero when a test failed or the stack did not start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

summary() { echo "test-browser: $1 passed, $2 failed${3:+, $3 skipped}"; }

CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
    echo "test-browser: chromium not found (scripts/install-deps.sh installs it)" >&2
    summary 0 1
    exit 1
fi

if ! cargo build --workspace --bins --locked; then
    echo "test-browser: the build failed" >&2
    summary 0 1
    exit 1
fi
if ! scripts/build-web.sh; then
    echo "test-browser: the web UI build failed" >&2
    summary 0 1
    exit 1
fi
if ! (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); then
    echo "test-browser: npm ci failed in tests/browser" >&2
    summary 0 1
    exit 1
fi

# Not under /tmp: codex refuses to create its helper binaries there (the demo CODEX_HOME lives
# in the data directory).
DATA="$(mktemp -d /var/tmp/cm-browser.XXXXXX)"
# Searchable (not readable) by others: as root the private Postgres cluster in it runs as the
# postgres user, which must reach $DATA/postgres (mktemp makes it 0700).
chmod 711 "$DATA"
WORK="$(mktemp -d /var/tmp/cm-browser-work.XXXXXX)"
CONF="$(mktemp -d)"
LOG="$(mktemp)"
RESULTS="$(mktemp)"
UP_PID=""

# The end of the stack's output, without the sign-in link's token.
show_log() { tail -n "$1" "$LOG" | sed -E 's/token=[A-Za-z0-9_]+/token=<redacted>/g' >&2; }

stop_up() {
    [ -n "$UP_PID" ] || return 0
    if kill -0 "$UP_PID" 2>/dev/null; then
        kill -INT "$UP_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$UP_PID" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$UP_PID" 2>/dev/null; then
            echo "test-browser: codex-manager up did not stop on SIGINT; killing it" >&2
            kill -KILL "$UP_PID" 2>/dev/null || true
        fi
    fi
    wait "$UP_PID" 2>/dev/null || true
    UP_PID=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_up
    # As root the Postgres cluster may live outside the data directory (see cli/README.md).
    local cluster
    cluster="$(readlink "$DATA/postgres" 2>/dev/null || true)"
    case "$cluster" in /var/tmp/codex-manager-*) rm -rf "$cluster" ;; esac
    rm -rf "$DATA" "$WORK" "$CONF" "$LOG" "$RESULTS"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
BASE="http://127.0.0.1:$PORT"

# With CM_API_COVERAGE_DIR (scripts/test.sh) the gateway logs its requests there too.
[ -z "${CM_API_COVERAGE_DIR:-}" ] || mkdir -p "$CM_API_COVERAGE_DIR"
env -u CM_WEB_DIR -u DATABASE_URL -u CM_TOKEN_FILE -u CM_DATA_DIR \
    ${CM_API_COVERAGE_DIR:+CM_ACCESS_LOG="$CM_API_COVERAGE_DIR/browser-$$.jsonl"} \
    XDG_CONFIG_HOME="$CONF" \
    CM_APPROVAL_POLICY=untrusted \
    CM_CODEX_CONFIG="features.default_mode_request_user_input=true" \
    CM_DEFAULT_CWD="$WORK" \
    "$CARGO_TARGET_DIR/debug/codex-manager" up --demo --data-dir "$DATA" --port "$PORT" \
    --web-dir "$ROOT/web/dist" \
    >"$LOG" 2>&1 &
UP_PID=$!

ready=""
for _ in $(seq 1 600); do
    if ! kill -0 "$UP_PID" 2>/dev/null; then break; fi
    if grep -q "Codex Manager is up" "$LOG" && curl -sf "$BASE/api/health" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.2
done
if [ -z "$ready" ]; then
    echo "test-browser: codex-manager up did not become ready; its output:" >&2
    show_log 60
    summary 0 1
    exit 1
fi
echo "test-browser: stack up at $BASE"

set +e
(
    cd tests/browser
    CM_BASE_URL="$BASE" CM_TOKEN="$(cat "$DATA/token")" CHROMIUM="$CHROMIUM" \
        CM_SCREENSHOT_DIR="${CM_SCREENSHOT_DIR:-$ROOT/docs/screenshots}" \
        node --test --test-reporter=spec web.test.mjs
) 2>&1 | tee "$RESULTS"
status=${PIPESTATUS[0]}
set -e
count() { grep -aE "^(ℹ|#) $1 [0-9]+" "$RESULTS" | tail -n 1 | grep -oE '[0-9]+$' || echo 0; }
passed="$(count pass)"
failed="$(count fail)"
skipped="$(count skipped)"
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
    echo "test-browser: the test runner exited with $status" >&2
    failed=1
fi
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
    echo "test-browser: the test runner reported no test" >&2
    failed=1
fi
if [ "$failed" != 0 ]; then
    echo "test-browser: end of the stack's output:" >&2
    show_log 40
fi

stop_up
[ "$skipped" = 0 ] && skipped=""
summary "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
