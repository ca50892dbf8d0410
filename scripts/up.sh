#!/usr/bin/env bash
# Run command: installs what is missing, builds, and starts the whole stack with the scripted
# demo model (no OpenAI credentials needed). Prints the URL to open. Ctrl-C stops everything.
#   scripts/up.sh            # demo mode
#   scripts/up.sh --no-demo  # use your own codex login (CODEX_HOME)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
scripts/install-deps.sh
cargo build --workspace --bins
args=(--demo)
if [ "${1:-}" = "--no-demo" ]; then args=(); shift; fi
exec "$CARGO_TARGET_DIR/debug/codex-manager" up "${args[@]}" "$@"
