#!/usr/bin/env bash
# Builds the testbed's binaries from their Go modules, pinned, into a cache:
#   ~/.cache/kubesweep/testbed/<versions>/bin/{kube-apiserver,kube-controller-manager,
#   kube-scheduler,kubectl,etcd,kwok,helm,prometheus}
# A binary is rebuilt only when its pinned version changes (the versions are in the path).
# Prints the cache's bin directory on its last line.
set -euo pipefail

KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.7.0}
HELM_VERSION=${HELM_VERSION:-v3.19.0}
# Prometheus's Go module is tagged v0.X.Y for release 3.X.Y. Debian's prometheus package is
# built without Kubernetes service discovery, so it is built here with only that one.
PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-v0.315.0}

cache_root=${KUBESWEEP_CACHE:-$HOME/.cache/kubesweep}/testbed
stamp="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}_prom-${PROMETHEUS_VERSION}"
out="$cache_root/$stamp"
bin="$out/bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:-} -trimpath"
export CGO_ENABLED=0

log() { printf '[testbed-build] %s\n' "$*" >&2; }

# The staging modules of k8s.io/kubernetes are required at v0.0.0 and replaced by local
# paths in its own go.mod; a module that requires it must replace them by the published
# versions (v0.X.Y for v1.X.Y).
build_kubernetes() {
  local need=0
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$bin/$b" ] || need=1
  done
  [ "$need" = 1 ] || return 0
  local mod="$out/src/kubernetes" staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$mod"
  local gomod
  gomod=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  {
    echo "module kubesweep.local/testbed/kubernetes"
    echo
    grep -E '^go [0-9]' "$gomod"
    echo
    echo "require k8s.io/kubernetes ${KUBERNETES_VERSION}"
    echo
    grep -Eo '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" \
      | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && go mod download)
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    if [ ! -x "$bin/$b" ]; then
      log "building $b ${KUBERNETES_VERSION}"
      (cd "$mod" && go build -tags tools -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION} -X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b")
      mv "$bin/$b.tmp" "$bin/$b"
    fi
  done
}

# A tool built in a throwaway module that requires it, so the module's own replace
# directives (etcd has some) do not get in the way of `go install module@version`.
go_tool() {
  local name=$1 module=$2 version=$3 pkg=$4 ldflags=${5:-"-s -w"} tags=${6:-}
  [ -x "$bin/$name" ] && return 0
  log "building $name $version"
  local mod="$out/src/$name"
  mkdir -p "$mod"
  printf 'module kubesweep.local/testbed/%s\n\ngo 1.24\n' "$name" >"$mod/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$mod/tools.go"
  (cd "$mod" && go get "$module@$version" >/dev/null && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && go build -tags "tools${tags:+,$tags}" -ldflags "$ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
}

start=$(date +%s)
build_kubernetes
go_tool etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
go_tool kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok \
  "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}"
go_tool helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
  "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
go_tool prometheus github.com/prometheus/prometheus "$PROMETHEUS_VERSION" \
  github.com/prometheus/prometheus/cmd/prometheus "-s -w" "remove_all_sd,enable_kubernetes_sd"
log "binaries ready in $(( $(date +%s) - start ))s"
echo "$bin"
