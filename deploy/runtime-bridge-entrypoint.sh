#!/bin/sh
# Entrypoint for cm-runtime-bridge in a container: prepares CODEX_HOME, then execs its arguments
# (default: cm-runtime-bridge).
#
# Demo mode: when CM_MOCK_MODEL_URL is set (e.g. http://mock-model:9100/v1), it writes
# $CODEX_HOME/config.toml so that `codex app-server` talks to the scripted model server
# (cm-mock-model) through a "mock" Responses-API provider whose key is read from MOCK_API_KEY.
# The file starts with a marker line; a config.toml without that marker belongs to the operator and
# is never touched. When CM_MOCK_MODEL_URL is unset or empty, a config.toml carrying the marker is
# removed, so codex runs with its defaults (or the operator's own config.toml).
set -eu

MARKER='# managed-by: codex-manager deploy/runtime-bridge-entrypoint.sh (demo model; edits are overwritten)'

fail() {
    echo "runtime-bridge-entrypoint: $*" >&2
    exit 64
}

[ -n "${CODEX_HOME:-}" ] || fail "CODEX_HOME is not set"
case "$CODEX_HOME" in
    /tmp | /tmp/*) fail "CODEX_HOME must not be under /tmp (codex refuses to install its helpers there)" ;;
esac
mkdir -p "$CODEX_HOME"
config="$CODEX_HOME/config.toml"

is_managed() {
    [ -f "$config" ] && [ "$(head -n 1 "$config")" = "$MARKER" ]
}

mock_url="${CM_MOCK_MODEL_URL:-}"
if [ -n "$mock_url" ]; then
    case "$mock_url" in
        http://* | https://*) ;;
        *) fail "CM_MOCK_MODEL_URL must be an http(s) URL, got '$mock_url'" ;;
    esac
    # The URL is written into a TOML string: refuse anything that could break out of it.
    if [ "$(printf '%s' "$mock_url" | wc -l)" -ne 0 ] ||
        printf '%s' "$mock_url" | grep -q '[[:space:]"\\]'; then
        fail "CM_MOCK_MODEL_URL must not contain whitespace, quotes or backslashes"
    fi
    [ -n "${MOCK_API_KEY:-}" ] ||
        echo "runtime-bridge-entrypoint: warning: MOCK_API_KEY is empty; codex needs it set for the mock provider" >&2

    if [ -f "$config" ] && ! is_managed; then
        echo "runtime-bridge-entrypoint: keeping $config (not written by this script); demo model not configured" >&2
    else
        tmp="$config.tmp.$$"
        umask 077
        cat >"$tmp" <<TOML
$MARKER
model = "mock-model"
model_provider = "mock"
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[model_providers.mock]
name = "mock"
base_url = "$mock_url"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false

[analytics]
enabled = false
TOML
        mv -f "$tmp" "$config"
        echo "runtime-bridge-entrypoint: wrote $config (demo model at $mock_url)" >&2
    fi
elif is_managed; then
    rm -f "$config"
    echo "runtime-bridge-entrypoint: removed demo $config (CM_MOCK_MODEL_URL is unset)" >&2
fi

if [ "$#" -eq 0 ]; then
    set -- cm-runtime-bridge
fi
exec "$@"
