#!/usr/bin/env bash
# Builds the web UI (web/, React + TypeScript + Vite) into web/dist, which `codex-manager up
# --web-dir web/dist` serves. Regenerates the API types from schemas/openapi.json first
# (web/src/api/schema.d.ts) and type-checks against them. `npm ci` runs only when
# web/package-lock.json changed since the last install, so a second run takes a few seconds.
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
npm run --silent build
echo "build-web: ok (web/dist)"
