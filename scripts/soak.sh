#!/usr/bin/env bash
# Soak (not in CI): N minutes of concurrent slow turns and SSE reconnects against
# `codex-manager up --demo` while random processes of the stack are killed with SIGKILL mid-turn;
# reports turns started/terminal and events lost/duplicated (docs/reliability.md).
#
#   scripts/soak.sh            # 30 minutes
#   scripts/soak.sh 10 3       # 10 minutes, 3 background sessions
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
cargo build --workspace --bins --locked
cargo run -q -p cm-faults --bin soak --locked -- --minutes "${1:-30}" --background "${2:-2}"
