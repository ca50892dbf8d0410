#!/usr/bin/env bash
# Builds the web UI (web/, React + TypeScript + Vite) into web/dist, which `codex-manager up
# --web-dir web/dist` serves. The API types (web/src/api/schema.d.ts) are generated from
# schemas/openapi.json on every build and not committed: the document is the one source, and
# its own drift test (services/gateway/tests/openapi.rs) keeps it in step with the code.
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
npm run --silent gen:api
npm run --silent build
echo "build-web: ok (web/dist)"
