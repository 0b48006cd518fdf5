#!/usr/bin/env bash
# Builds the real upstream peers used by end-to-end tests from published Go modules:
#   ksm             kube-state-metrics          (generated wrapper module, Go tool)
#   otelcol         OTel Collector "otelcol-kso" (collector builder + otelcol-manifest.yaml)
#   kube-apiserver  kube-apiserver              (generated wrapper module, staging modules replaced)
#   etcd            etcd server                 (generated wrapper module, Go tool)
#   kubectl         kubectl                     (same wrapper module and pin as kube-apiserver)
#   helm            helm                        (generated wrapper module, Go tool, version ldflags)
#   prom-crds       Prometheus Operator CRDs    (ServiceMonitor, PodMonitor, PrometheusRule YAMLs copied from the
#                                                operator's module zip to $KSO_PEERS_DIR/crds; no build)
#
# Usage: bash test/peers/build.sh [ksm] [otelcol] [kube-apiserver] [etcd] [kubectl] [helm] [prom-crds]
#        (no args = all)
#
# Binaries go to $KSO_PEERS_DIR/bin (default ${XDG_CACHE_HOME:-$HOME/.cache}/kube-state-otel/peers/bin),
# outside the repo so they survive clean checkouts. A peer is skipped when its binary exists and its stamp file
# records the pinned version; change a pin (or the manifest) and only that peer rebuilds.
# The normal Go module and build caches are used, so a second cold build of a peer is much faster.
#
# Env: KSO_PEERS_DIR (cache dir), GO (go binary), KSO_PEERS_FORCE=1 (rebuild even if stamped),
#      GOFLAGS is passed through (e.g. GOFLAGS=-p=1 on a shared machine; run the script under `nice`).
set -euo pipefail

# --- pins (verified with `go list -m` against the module proxy) --------------------------------------------------
KSM_VERSION=v2.20.0
OTELCOL_BUILDER_VERSION=v0.159.0 # components in otelcol-manifest.yaml are pinned to the same release train
K8S_VERSION=1.33.13              # kube-apiserver and kubectl; staging modules are replaced with v0.33.13
ETCD_VERSION=v3.5.21             # envtest pairs Kubernetes 1.33 with etcd 3.5.21
HELM_VERSION=v3.22.0             # helm.sh/helm/v3, the chart's test tool (lint, template)
# The root module (whose zip carries example/prometheus-operator-crd/) is only published up to v0.85.0 on the
# proxy; the API module moved on, but the three CRDs the chart uses are stable monitoring.coreos.com/v1.
PROM_OPERATOR_VERSION=v0.85.0
PROM_CRDS=(servicemonitors podmonitors prometheusrules)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MANIFEST=$SCRIPT_DIR/otelcol-manifest.yaml
PEERS_DIR=${KSO_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-state-otel/peers}
BIN_DIR=$PEERS_DIR/bin
WORK_DIR=$PEERS_DIR/work
TOOLS_DIR=$PEERS_DIR/tools
ALL_PEERS=(ksm otelcol kube-apiserver etcd kubectl helm prom-crds)

log() { printf '[peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- Go toolchain --------------------------------------------------------------------------------------------------
if [[ -z ${GO:-} ]]; then
  if command -v go >/dev/null 2>&1; then GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  else die "Go not found: install Go >= 1.26 or set GO=/path/to/go"; fi
fi
# The collector builder shells out to `go`, so the chosen toolchain must also be first on PATH.
export PATH="$(dirname "$GO"):$PATH"
GO_VERSION=$("$GO" env GOVERSION) || die "'$GO env GOVERSION' failed"
# kube-state-metrics v2.20.0 declares `go 1.26.0`; the others need less.
if [[ $GO_VERSION =~ ^go([0-9]+)\.([0-9]+) ]]; then
  if ((BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < 26)); then die "$GO_VERSION is too old; Go >= 1.26 required"; fi
else
  log "warning: cannot parse Go version '$GO_VERSION', continuing"
fi
export CGO_ENABLED=0
# Never let a local go.work from a parent directory leak into the generated wrapper modules.
export GOWORK=off

# --- stamps --------------------------------------------------------------------------------------------------------
# The stamp holds the pin; it is written only after the binary is in place, so an interrupted build reruns.
stamp_file() { echo "$BIN_DIR/.$1.stamp"; }
is_current() { # name binary pin
  [[ ${KSO_PEERS_FORCE:-0} != 1 && -x $BIN_DIR/$2 && -f $(stamp_file "$1") ]] &&
    [[ $(head -n1 "$(stamp_file "$1")") == "$3" ]]
}
write_stamp() { # name pin seconds
  printf '%s\nbuilt %s in %ss with %s\n' "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$3" "$GO_VERSION" >"$(stamp_file "$1")"
}
# Installs a freshly built binary atomically (tests may be running the previous one). Moved, not copied:
# work/ is on the same filesystem and a second copy of ~200 MB of binaries helps nobody.
install_bin() { # src name
  mv -f "$1" "$BIN_DIR/.$2.tmp" && chmod 0755 "$BIN_DIR/.$2.tmp" && mv -f "$BIN_DIR/.$2.tmp" "$BIN_DIR/$2"
}
fresh_dir() { rm -rf "$1" && mkdir -p "$1"; }

# --- peers ---------------------------------------------------------------------------------------------------------
build_ksm() {
  local dir=$WORK_DIR/ksm pkg=github.com/prometheus/common/version modfile
  fresh_dir "$dir"
  cd "$dir"
  # A wrapper module instead of `go install ...@version`: go install also looks up the module's deprecation
  # via the proxy's version list, and a proxy that refuses to list (403) makes it fail although the pinned
  # version itself downloads fine. `go get -tool` does not need the list.
  "$GO" mod init kso.local/peers/ksm >/dev/null 2>&1 || die "go mod init failed in $dir"
  modfile=$(gomod_of "k8s.io/kube-state-metrics/v2@$KSM_VERSION")
  "$GO" mod edit -go="$(awk '$1=="go"{print $2; exit}' "$modfile")"
  "$GO" get -tool "k8s.io/kube-state-metrics/v2@$KSM_VERSION" || die "go get -tool kube-state-metrics@$KSM_VERSION failed"
  # KSM's Makefile stamps prometheus/common/version; a plain build leaves it empty.
  "$GO" build -trimpath -o "$dir/kube-state-metrics" \
    -ldflags "-s -w -X $pkg.Version=$KSM_VERSION -X $pkg.Branch=release -X $pkg.BuildUser=kso-peers -X $pkg.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)" \
    k8s.io/kube-state-metrics/v2 || die "go build kube-state-metrics failed"
  install_bin "$dir/kube-state-metrics" kube-state-metrics
}

build_otelcol() {
  [[ -f $MANIFEST ]] || die "manifest not found: $MANIFEST"
  local builder=$TOOLS_DIR/builder-$OTELCOL_BUILDER_VERSION dir=$WORK_DIR/otelcol
  if [[ ! -x $builder ]]; then
    log "installing collector builder $OTELCOL_BUILDER_VERSION"
    fresh_dir "$TOOLS_DIR/.builder"
    GOBIN=$TOOLS_DIR/.builder "$GO" install -trimpath "go.opentelemetry.io/collector/cmd/builder@$OTELCOL_BUILDER_VERSION" ||
      die "go install go.opentelemetry.io/collector/cmd/builder@$OTELCOL_BUILDER_VERSION failed"
    mv -f "$TOOLS_DIR/.builder/builder" "$builder"
    rm -rf "$TOOLS_DIR/.builder"
  fi
  fresh_dir "$dir"
  # The manifest's output_path is relative; run from the work dir so sources land there, not in the repo.
  cp "$MANIFEST" "$dir/manifest.yaml"
  (cd "$dir" && "$builder" --config=manifest.yaml) || die "collector builder failed (see output above)"
  [[ -x $dir/build/otelcol-kso ]] || die "builder did not produce $dir/build/otelcol-kso"
  install_bin "$dir/build/otelcol-kso" otelcol-kso
}

# Prints the path of a module's go.mod in the module cache (downloading it if needed).
gomod_of() { # module@version
  local json
  json=$("$GO" mod download -json "$1") || die "go mod download $1 failed"
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json"
}

# One wrapper module for every k8s.io/kubernetes command (kube-apiserver, kubectl): both come from the same tag,
# so they share the replace set and most compiled packages. Prepared once per pin; a marker records the pin.
prepare_k8s_wrapper() {
  local k=$K8S_VERSION v=v0.${K8S_VERSION#1.} dir=$WORK_DIR/k8s modfile goline mods m
  if [[ -f $dir/.prepared && $(cat "$dir/.prepared") == "v$k" ]]; then return 0; fi
  fresh_dir "$dir"
  cd "$dir"
  "$GO" mod init kso.local/peers/k8s >/dev/null 2>&1 || die "go mod init failed in $dir"
  modfile=$(gomod_of "k8s.io/kubernetes@v$k")
  [[ -f $modfile ]] || die "cannot locate go.mod of k8s.io/kubernetes@v$k"
  # GODEBUG defaults follow the main module's go line, so match Kubernetes' own.
  goline=$(awk '$1=="go"{print $2; exit}' "$modfile")
  "$GO" mod edit -go="$goline"
  # The staging set drifts between releases: derive it from the tag's own replace block.
  mods=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$modfile")
  [[ -n $mods ]] || die "no staging replaces found in $modfile (format changed?)"
  log "k8s wrapper: replacing $(wc -w <<<"$mods") staging modules with $v (go $goline)"
  for m in $mods; do "$GO" mod edit "-replace=$m=$m@$v"; done
  "$GO" get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$k" "k8s.io/kubernetes/cmd/kubectl@v$k" ||
    die "go get -tool kube-apiserver/kubectl@v$k failed"
  echo "v$k" >"$dir/.prepared"
}

build_k8s_cmd() { # command name under k8s.io/kubernetes/cmd
  local k=$K8S_VERSION minor dir=$WORK_DIR/k8s ld="-s -w" p
  minor=$(cut -d. -f2 <<<"$k")
  prepare_k8s_wrapper
  cd "$dir"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$k -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  "$GO" build -trimpath -o "$dir/$1" -ldflags "$ld" "k8s.io/kubernetes/cmd/$1" || die "go build $1 failed"
  install_bin "$dir/$1" "$1"
}

build_etcd() {
  local dir=$WORK_DIR/etcd modfile
  fresh_dir "$dir"
  cd "$dir"
  "$GO" mod init kso.local/peers/etcd >/dev/null 2>&1 || die "go mod init failed in $dir"
  modfile=$(gomod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  "$GO" mod edit -go="$(awk '$1=="go"{print $2; exit}' "$modfile")"
  # The server module's own replaces are ignored when it is a dependency, so the published api/pkg/client
  # modules at the same version are used, as in etcd's release builds.
  "$GO" get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" || die "go get -tool etcd server@$ETCD_VERSION failed"
  # Without -o the binary would be named after the last path element ("v3").
  "$GO" build -trimpath -o "$dir/etcd" -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
    go.etcd.io/etcd/server/v3 || die "go build etcd failed"
  install_bin "$dir/etcd" etcd
}

build_helm() {
  local dir=$WORK_DIR/helm modfile pkg=helm.sh/helm/v3/internal/version
  fresh_dir "$dir"
  cd "$dir"
  "$GO" mod init kso.local/peers/helm >/dev/null 2>&1 || die "go mod init failed in $dir"
  modfile=$(gomod_of "helm.sh/helm/v3@$HELM_VERSION")
  "$GO" mod edit -go="$(awk '$1=="go"{print $2; exit}' "$modfile")"
  "$GO" get -tool "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || die "go get -tool helm@$HELM_VERSION failed"
  # As helm's Makefile: stamp internal/version (a plain build reports only "v3.22") and the Kubernetes version that
  # `helm template`/`helm lint` assume without a cluster, derived from client-go (v0.35.x -> 1.35). Unstamped, helm
  # assumes Kubernetes 1.20, so a chart with a kubeVersion constraint fails to template and lint misses deprecations.
  local kv major minor ld vp
  kv=$("$GO" list -f '{{.Version}}' -m k8s.io/client-go) || die "cannot read helm's client-go version"
  [[ $kv =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "unexpected client-go version '$kv'"
  major=$((BASH_REMATCH[1] + 1)) minor=${BASH_REMATCH[2]}
  ld="-s -w -X $pkg.version=$HELM_VERSION -X $pkg.gitTreeState=clean"
  for vp in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    ld+=" -X $vp.k8sVersionMajor=$major -X $vp.k8sVersionMinor=$minor"
  done
  "$GO" build -trimpath -o "$dir/helm" -ldflags "$ld" helm.sh/helm/v3/cmd/helm || die "go build helm failed"
  install_bin "$dir/helm" helm
}

# Not a binary: the CRDs a server needs before it accepts the chart's ServiceMonitor/PodMonitor/PrometheusRule.
# They come verbatim from the operator's published module zip; the stamp guards the directory.
build_prom_crds() {
  local json dir crd out=$BIN_DIR/.prom-crds.tmp
  json=$("$GO" mod download -json "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION") ||
    die "go mod download prometheus-operator@$PROM_OPERATOR_VERSION failed"
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")/example/prometheus-operator-crd
  fresh_dir "$out"
  for crd in "${PROM_CRDS[@]}"; do
    [[ -f $dir/monitoring.coreos.com_$crd.yaml ]] || die "missing $dir/monitoring.coreos.com_$crd.yaml"
    cp "$dir/monitoring.coreos.com_$crd.yaml" "$out/"
  done
  chmod -R u+w "$out"
  rm -rf "$PEERS_DIR/crds" && mv "$out" "$PEERS_DIR/crds"
  # is_current wants an executable: a two-line script that lists the files stands in for a binary.
  printf '#!/bin/sh\n# Prometheus Operator %s CRDs copied by test/peers/build.sh\nls "%s"/*.yaml\n' \
    "$PROM_OPERATOR_VERSION" "$PEERS_DIR/crds" >"$WORK_DIR/prom-crds"
  install_bin "$WORK_DIR/prom-crds" prom-crds
}

# --- main ----------------------------------------------------------------------------------------------------------
pin_of() {
  case $1 in
  ksm) echo "kube-state-metrics $KSM_VERSION" ;;
  otelcol) echo "otelcol-kso builder $OTELCOL_BUILDER_VERSION manifest $(sha256sum "$MANIFEST" | cut -c1-16)" ;;
  kube-apiserver) echo "kube-apiserver v$K8S_VERSION" ;;
  etcd) echo "etcd $ETCD_VERSION" ;;
  kubectl) echo "kubectl v$K8S_VERSION" ;;
  helm) echo "helm $HELM_VERSION (release ldflags)" ;;
  prom-crds) echo "prometheus-operator $PROM_OPERATOR_VERSION ${PROM_CRDS[*]}" ;;
  esac
}
binary_of() {
  case $1 in
  ksm) echo kube-state-metrics ;;
  otelcol) echo otelcol-kso ;;
  *) echo "$1" ;;
  esac
}

peers=("$@")
((${#peers[@]})) || peers=("${ALL_PEERS[@]}")
for p in "${peers[@]}"; do
  case $p in
  ksm | otelcol | kube-apiserver | etcd | kubectl | helm | prom-crds) ;;
  *) die "unknown peer '$p' (expected: ${ALL_PEERS[*]})" ;;
  esac
done

mkdir -p "$BIN_DIR" "$WORK_DIR" "$TOOLS_DIR"
log "cache dir $PEERS_DIR ($GO_VERSION, GOFLAGS='${GOFLAGS:-}')"
for p in "${peers[@]}"; do
  bin=$(binary_of "$p")
  pin=$(pin_of "$p")
  if is_current "$p" "$bin" "$pin"; then
    log "$p: up to date ($pin) -> $BIN_DIR/$bin"
    continue
  fi
  log "$p: building $pin ..."
  start=$SECONDS
  # Not `( ... ) || die`: bash ignores errexit inside a subshell that is the left side of `||`, so an unchecked
  # failing step would go unnoticed. The subshell keeps each build's `cd` local.
  set +e
  (
    set -euo pipefail
    case $p in
    ksm) build_ksm ;;
    otelcol) build_otelcol ;;
    kube-apiserver) build_k8s_cmd kube-apiserver ;;
    etcd) build_etcd ;;
    kubectl) build_k8s_cmd kubectl ;;
    helm) build_helm ;;
    prom-crds) build_prom_crds ;;
    esac
  )
  rc=$?
  set -e
  ((rc == 0)) || die "$p: build failed (exit $rc); nothing installed for it"
  write_stamp "$p" "$pin" $((SECONDS - start))
  log "$p: done in $((SECONDS - start))s, $(du -h "$BIN_DIR/$bin" | cut -f1) -> $BIN_DIR/$bin"
done
log "all requested peers ready in $BIN_DIR"
