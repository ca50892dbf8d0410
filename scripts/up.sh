#!/usr/bin/env bash
# Run command: installs what is missing, builds the services and the web UI, and starts the
# whole stack with the scripted demo model (no OpenAI credentials needed). Prints the URL to
# open. Ctrl-C stops everything.
#   scripts/up.sh            # demo mode
#   scripts/up.sh --no-demo  # use your own codex login (CODEX_HOME)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
scripts/install-deps.sh
cargo build --workspace --bins
# The web UI (web/, React): built into web/dist and served by the gateway at the printed URL.
scripts/build-web.sh
args=(--demo)
if [ "${1:-}" = "--no-demo" ]; then args=(); shift; fi
exec "$CARGO_TARGET_DIR/debug/codex-manager" up --web-dir "$ROOT/web/dist" "${args[@]}" "$@"
