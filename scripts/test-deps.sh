#!/usr/bin/env bash
# Debian packages the integration tests use as real peers (and openssl). Installed only when missing.
set -uo pipefail
need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
# Throw-away certificates: --web-config-file TLS tests, the kube-apiserver peer, the sidecar's in-cluster TLS front.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "[test-deps] not root: cannot install ${need[*]}" >&2; exit 1; fi
echo "[test-deps] apt-get install ${need[*]}" >&2
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  echo "[test-deps] apt-get failed:" >&2
  tail -20 "$log" >&2
  exit 1
fi
echo "[test-deps] installed ${need[*]}" >&2
