#!/usr/bin/env bash
# Installs what Codex Manager needs on a fresh Debian machine that has the Rust toolchain:
#   apt:  nats-server, postgresql, bubblewrap (codex's sandbox), docker-compose (offline
#         validation of docker-compose.yml), libssl-dev + pkg-config (the CLI's https client
#         links the system OpenSSL), nodejs + npm, chromium (the browser tests)
#   npm:  @openai/codex@0.171.0 into the project-local prefix .tools/codex
#   pip:  schemathesis (the API fuzzer of scripts/test-api-fuzz.sh) into the project-local
#         venv .tools/schemathesis
# Idempotent: it installs only what is missing, so a second run takes about a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CODEX_VERSION="0.171.0"
SCHEMATHESIS_VERSION="4.32.5"

need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need_apt+=(postgresql)
fi
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
[ -f /usr/include/openssl/ssl.h ] || need_apt+=(libssl-dev)

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

CODEX_PREFIX="$ROOT/.tools/codex"
CODEX_BIN="$CODEX_PREFIX/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
if [ ! -x "$CODEX_BIN" ] || ! "$CODEX_BIN" --version 2>/dev/null | grep -q "$CODEX_VERSION"; then
    echo "install-deps: npm install @openai/codex@$CODEX_VERSION into .tools/codex"
    mkdir -p "$CODEX_PREFIX"
    (cd "$CODEX_PREFIX" && npm install --silent --no-audit --no-fund --prefix . "@openai/codex@$CODEX_VERSION")
fi
"$CODEX_BIN" --version >/dev/null

ST_VENV="$ROOT/.tools/schemathesis"
ST_BIN="$ST_VENV/bin/schemathesis"
if [ ! -x "$ST_BIN" ] || ! "$ST_BIN" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "install-deps: pip install schemathesis==$SCHEMATHESIS_VERSION into .tools/schemathesis"
    python3 -m venv "$ST_VENV"
    "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
echo "install-deps: ok ($("$CODEX_BIN" --version), $("$ST_BIN" --version))"
