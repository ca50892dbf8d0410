# Sourced by the scripts: where cargo builds (outside the clone, so a fresh clone reuses the
# build cache) and where the codex binary is.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/codex-manager/target}"
export CODEX_BIN="${CODEX_BIN:-$ROOT/.tools/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex}"
