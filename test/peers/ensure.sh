#!/usr/bin/env bash
# Run by `npm test` (scripts/test.mjs) before the tests: makes sure every real peer is built, using build.sh
# (a stamped, cached peer costs ~0.1 s; a cold build of all of them ~15–20 min on 2 cores) and records the outcome in
# test/peers/.build/status.json. The tests read it: with KSO_PEERS=off they skip; after a failed build they fail
# with the tail of the build log instead of skipping, so CI cannot go green without having run them.
#
# Console: only build.sh's progress lines plus a heartbeat; the full Go output goes to $PEERS_DIR/build.log.
# Each peer is built separately (one failure does not block the others) and retried once, since most cold-build
# failures on CI are transient module-proxy errors.
#
# Env: KSO_PEERS=off (do not build; peer tests skip), KSO_PEERS_DIR, GO, GOFLAGS (as for build.sh).
# Exit: 0 when all peers are ready or KSO_PEERS=off, 1 when any build failed.
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_DIR=${KSO_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-state-otel/peers}
STATE_DIR=$SCRIPT_DIR/.build
STATUS=$STATE_DIR/status.json
LOG=$PEERS_DIR/build.log
# Cheap ones first; kubectl after kube-apiserver, whose wrapper module and compiled packages it reuses.
PEERS=(otelcol etcd ksm kube-apiserver kubectl helm prom-crds)

say() { printf '[peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
json_str() { printf '"%s"' "$(sed 's/\\/\\\\/g; s/"/\\"/g' <<<"$1")"; }
write_status() { # mode failed-peers...
  local mode=$1 list='' p
  shift
  for p in "$@"; do list+="${list:+,}$(json_str "$p")"; done
  mkdir -p "$STATE_DIR"
  printf '{"mode":"%s","peersDir":%s,"failed":[%s],"log":%s,"at":"%s"}\n' "$mode" "$(json_str "$PEERS_DIR")" \
    "$list" "$(json_str "$LOG")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATUS.tmp" && mv -f "$STATUS.tmp" "$STATUS"
}

if [[ ${KSO_PEERS:-} == off ]]; then
  write_status off
  say "KSO_PEERS=off: not building real peers; tests that need them will skip"
  exit 0
fi

mkdir -p "$PEERS_DIR"
: >"$LOG"
# Written first so that an interrupted run (CI timeout, Ctrl-C) is reported by the tests as such.
write_status building
say "ensuring real peers (${PEERS[*]}) in $PEERS_DIR/bin; full build output: $LOG"

heartbeat() { # peer
  local start=$SECONDS
  while sleep 60; do say "  ... still building $1 ($((SECONDS - start))s)"; done
}

failed=()
hb=
trap '[[ -n $hb ]] && kill "$hb" 2>/dev/null' EXIT
total_start=$SECONDS
for p in "${PEERS[@]}"; do
  for attempt in 1 2; do
    heartbeat "$p" &
    hb=$!
    # build.sh's own progress lines start with "[peers "; everything else (go get/download chatter) is log-only.
    nice -n 10 bash "$SCRIPT_DIR/build.sh" "$p" 2>&1 | tee -a "$LOG" |
      grep --line-buffered '^\[peers ' | grep --line-buffered -v -e '] cache dir ' -e '] all requested peers ready' >&2
    rc=${PIPESTATUS[0]}
    kill "$hb" 2>/dev/null
    wait "$hb" 2>/dev/null
    ((rc == 0)) && break
    if ((attempt == 1)); then say "$p: build failed (exit $rc), retrying once"; else failed+=("$p"); fi
  done
done

if ((${#failed[@]})); then
  write_status failed "${failed[@]}"
  say "FAILED to build: ${failed[*]} (after $((SECONDS - total_start))s). Tests that need them will fail."
  say "last lines of $LOG:"
  tail -n 30 "$LOG" >&2
  exit 1
fi
write_status ok
say "all real peers ready in $((SECONDS - total_start))s"
