#!/usr/bin/env bash
# Offline checks of the deployment files: docker-compose.yml and everything under deploy/.
#
#   scripts/check-compose.sh
#
# 1. `docker-compose -f docker-compose.yml config -q` (Debian's docker-compose 1.29; installed with
#    apt-get when missing and running as root). Runs with a clean environment so that variables in
#    the caller's shell do not change the result, and fails on "variable is not set" warnings.
# 2. Parses every *.yaml / *.yml / *.json file under deploy/ (and docker-compose.yml); checks that
#    each Kubernetes document has apiVersion, kind and metadata.name, that the collector's pipelines
#    only name components it defines, and that the files docker-compose.yml mounts or builds from
#    and the files deploy/Dockerfile copies from the build context exist.
# 3. `sh -n` on every shell script under deploy/ (and checks it is executable).
# 4. When the tools are installed: `nats-server -t` on deploy/nats/nats.conf (with credentials from
#    the built `codex-manager bus credentials`) and
#    `kubectl kustomize deploy/k8s`.
# Exits non-zero if any check fails, after running all of them.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
ok() { echo "ok:   $*"; }
note() { echo "note: $*"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    # apt_install PACKAGE...: install with apt-get when running as root.
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    echo "installing $* with apt-get ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

# --- 1. docker-compose config -----------------------------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
    apt_install docker-compose || true
fi
if ! command -v docker-compose >/dev/null 2>&1; then
    fail "docker-compose is not installed and could not be installed (as root: apt-get install docker-compose)"
else
    if out="$(env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
        docker-compose -f docker-compose.yml config -q 2>&1)"; then
        if printf '%s\n' "$out" | grep -qi 'variable is not set'; then
            printf '%s\n' "$out" >&2
            fail "docker-compose.yml uses a variable without a default"
        else
            [ -z "$out" ] || printf '%s\n' "$out"
            ok "docker-compose -f docker-compose.yml config -q ($(docker-compose version --short 2>/dev/null || echo '?'))"
        fi
    else
        printf '%s\n' "$out" >&2
        fail "docker-compose -f docker-compose.yml config -q"
    fi
fi

# --- 2. YAML / JSON structure -----------------------------------------------------------------------
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
    apt_install python3-yaml || true
fi
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
    fail "python3 with PyYAML is needed (apt-get install python3-yaml, or pip install pyyaml)"
else
    python3 - <<'PY' || failures=$((failures + 1))
import json
import os
import sys

import yaml

bad = 0


def fail(msg):
    global bad
    bad += 1
    print(f"FAIL: {msg}", file=sys.stderr)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return [json.load(f)]
        return [d for d in yaml.safe_load_all(f) if d is not None]


files = ["docker-compose.yml"]
for base, dirs, names in os.walk("deploy"):
    dirs.sort()
    for name in sorted(names):
        if name.endswith((".yaml", ".yml", ".json")):
            files.append(os.path.join(base, name))

docs = {}
for path in files:
    try:
        docs[path] = load_all(path)
    except Exception as e:  # noqa: BLE001 - report any parse error
        fail(f"{path}: does not parse: {e}")
if len(docs) == len(files):
    print(f"ok:   parsed {len(files)} YAML/JSON files")

# Kubernetes manifests: every document names its kind and itself.
for path, ds in docs.items():
    if not path.startswith("deploy/k8s/"):
        continue
    for i, d in enumerate(ds):
        if not isinstance(d, dict):
            fail(f"{path} document {i}: not a mapping")
            continue
        if d.get("kind") == "Kustomization":
            for r in d.get("resources", []):
                if not os.path.exists(os.path.join("deploy/k8s", r)):
                    fail(f"{path}: resource {r} does not exist")
            continue
        for key in ("apiVersion", "kind"):
            if not d.get(key):
                fail(f"{path} document {i}: missing {key}")
        if not (d.get("metadata") or {}).get("name"):
            fail(f"{path} document {i}: missing metadata.name")

# Collector: pipelines only use defined components.
col = docs.get("deploy/otel/collector.yaml")
if col:
    c = col[0]
    for name, p in ((c.get("service") or {}).get("pipelines") or {}).items():
        for kind in ("receivers", "processors", "exporters"):
            for comp in p.get(kind, []):
                if comp not in (c.get(kind) or {}):
                    fail(f"deploy/otel/collector.yaml: pipeline {name} uses undefined {kind[:-1]} {comp}")
    for ext in (c.get("service") or {}).get("extensions", []):
        if ext not in (c.get("extensions") or {}):
            fail(f"deploy/otel/collector.yaml: undefined extension {ext}")

# Compose: files it builds from or bind-mounts exist.
compose = docs.get("docker-compose.yml")
if compose:
    for svc_name, svc in (compose[0].get("services") or {}).items():
        build = svc.get("build")
        if isinstance(build, dict):
            df = os.path.join(build.get("context", "."), build.get("dockerfile", "Dockerfile"))
            if not os.path.exists(df):
                fail(f"docker-compose.yml: {svc_name}: {df} does not exist")
        for v in svc.get("volumes", []):
            src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith((".", "/")) and not os.path.exists(src):
                fail(f"docker-compose.yml: {svc_name}: bind mount source {src} does not exist")

# Dockerfile: files copied from the build context exist.
dockerfile = "deploy/Dockerfile"
if os.path.exists(dockerfile):
    with open(dockerfile, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            words = line.split()
            if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
                continue
            for src in [w for w in words[1:-1] if not w.startswith("--")]:
                if src != "." and not os.path.exists(src):
                    fail(f"{dockerfile}:{n}: COPY source {src} does not exist")
else:
    fail(f"{dockerfile} does not exist")

sys.exit(1 if bad else 0)
PY
fi

# --- 3. shell scripts ----------------------------------------------------------------------------------
while IFS= read -r -d '' script; do
    if sh -n "$script"; then
        ok "sh -n $script"
    else
        fail "sh -n $script"
    fi
    [ -x "$script" ] || fail "$script is not executable (chmod +x)"
done < <(find deploy -type f -name '*.sh' -print0 | sort -z)

# --- 4. optional tool checks ----------------------------------------------------------------------------
# nats.conf includes credentials/nats-auth.conf, which `codex-manager bus credentials` writes (the
# compose stack's nats-credentials service): check the two together, as the container sees them.
cli="${CARGO_TARGET_DIR:-$HOME/.cache/codex-manager/target}/debug/codex-manager"
if command -v nats-server >/dev/null 2>&1 && [ -x "$cli" ]; then
    conf_dir="$(mktemp -d)"
    cp deploy/nats/nats.conf "$conf_dir/nats.conf"
    if ! "$cli" bus credentials --dir "$conf_dir/credentials" >/dev/null; then
        fail "codex-manager bus credentials"
    elif out="$(nats-server -t -c "$conf_dir/nats.conf" 2>&1)"; then
        ok "nats-server -t -c deploy/nats/nats.conf (with generated credentials)"
    else
        printf '%s\n' "$out" >&2
        fail "nats-server -t -c deploy/nats/nats.conf"
    fi
    rm -rf "$conf_dir"
elif command -v nats-server >/dev/null 2>&1; then
    note "$cli not built: deploy/nats/nats.conf not checked with its credentials"
else
    note "nats-server not installed: deploy/nats/nats.conf only checked by docker at run time"
fi
if command -v kubectl >/dev/null 2>&1; then
    if out="$(kubectl kustomize deploy/k8s 2>&1 >/dev/null)"; then
        ok "kubectl kustomize deploy/k8s"
    else
        printf '%s\n' "$out" >&2
        fail "kubectl kustomize deploy/k8s"
    fi
else
    note "kubectl not installed: deploy/k8s/kustomization.yaml not rendered"
fi

if [ "$failures" -ne 0 ]; then
    echo "check-compose: $failures check(s) failed" >&2
    exit 1
fi
echo "check-compose: all checks passed"
