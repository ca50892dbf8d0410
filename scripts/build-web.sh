#!/usr/bin/env bash
# Builds the web UI (web/, React + TypeScript + Vite) into web/dist, which `codex-manager up
# --web-dir web/dist` serves. The API types (web/src/api/schema.d.ts) are generated from
# schemas/openapi.json and committed:
#   scripts/build-web.sh          regenerates them, type-checks and builds
#   scripts/build-web.sh --check  fails if the committed types are stale (CI), then builds
# `npm ci` runs only when web/package-lock.json changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/web"
stamp=node_modules/.package-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "build-web: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
fi
if [ "${1:-}" = "--check" ]; then
    if ! npm run --silent check:api; then
        echo "build-web: web/src/api/schema.d.ts is stale against schemas/openapi.json;" >&2
        echo "build-web: regenerate it with scripts/build-web.sh (or: cd web && npm run gen:api) and commit it" >&2
        exit 1
    fi
else
    npm run --silent gen:api
fi
npm run --silent build
echo "build-web: ok (web/dist)"
