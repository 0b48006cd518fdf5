#!/usr/bin/env bash
# Runs a command with the project's Node and pnpm on PATH, bootstrapping first (fast when already done).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KSO_SKIP_BUILD="${KSO_SKIP_BUILD:-1}" bash "$ROOT/scripts/bootstrap.sh"
export PATH="$ROOT/.tools/bin:$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
exec "$@"
