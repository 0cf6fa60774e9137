#!/usr/bin/env bash
# Build the real-engine toolchain from Go modules, pinned, into a cache keyed by version.
#
#   scripts/toolchain.sh [TOOL ...]   build what is missing (default: all); print the bin dir
#   scripts/toolchain.sh --bin        print the bin dir only (builds nothing)
#   scripts/toolchain.sh --list       the tools and their cache keys
#   scripts/toolchain.sh --dir TOOL   print a tool's cache dir (built or not)
#
# Each tool lands in $CACHE/<tool>-<version>-<go version>/ with a stamp file written last,
# so an interrupted build is redone and a warm machine skips the work in seconds. The bin
# dir ($CACHE/bin) holds links to the current versions. Build logs: $CACHE/logs/.
# Pins: toolchain/versions.env. Why each build looks the way it does: toolchain/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=/dev/null
. "$here/toolchain/versions.env"

CACHE=${CLUSTERFORGE_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterforge/toolchain}
BIN=$CACHE/bin
GOVER=$(go env GOVERSION 2>/dev/null || echo none)
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$BIN" "$CACHE/logs"

tools=(pulumi pulumi-resource-kubernetes pulumi-language-yaml kubernetes etcd kwok actionlint)
# Real-node artifacts (scripts/toolchain-node.sh); dependencies before what uses them.
tools+=(containerd runc cni-plugins coredns etcd-kubeadm pause kube-node kube-node-previous node-images node-images-previous)

version_of() {
  case "$1" in
    pulumi) echo "$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "$PULUMI_KUBERNETES_VERSION" ;;
    pulumi-language-yaml) echo "$PULUMI_YAML_VERSION" ;;
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    actionlint) echo "$ACTIONLINT_VERSION" ;;
    *) node_version_of "$1" || { echo "toolchain: unknown tool '$1' (choose from: ${tools[*]})" >&2; return 2; } ;;
  esac
}

# Binaries each tool provides (linked into $BIN).
binaries_of() {
  case "$1" in
    kubernetes) echo "kube-apiserver kube-controller-manager kube-scheduler" ;;
    kwok) echo "kwok kwokctl" ;;
    *) node_binaries_of "$1" || echo "$1" ;;
  esac
}

dir_of() { echo "$CACHE/$1-$(version_of "$1")-$GOVER"; }

# A throwaway wrapper module: the targets' own go.mod files carry local replaces, which
# `go install mod@version` refuses; a wrapper requires them and re-declares the rest.
wrapper() {
  local w
  w=$(mktemp -d "$CACHE/wrap.XXXXXX")
  printf 'module clusterforge.local/toolchain\n\ngo 1.26\n' >"$w/go.mod"
  echo "$w"
}

build_pulumi() {
  local out=$1 w v=$PULUMI_VERSION
  w=$(wrapper)
  (cd "$w"
   go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$v" -require="github.com/pulumi/pulumi/sdk/v3@$v"
   # Non-local replaces of pkg/v3 and sdk/v3 at this release.
   go mod edit -replace=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
   go mod edit -replace=golang.org/x/text=golang.org/x/text@v0.41.0
   go mod download "github.com/pulumi/pulumi/pkg/v3@$v"
   go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$v"
   go build -trimpath -tags osusergo,grpcnotrace \
     -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
     -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  rm -rf "$w"
}

build_pulumi-resource-kubernetes() {
  local out=$1 w src mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  w=$(wrapper)
  (cd "$w"
   go mod edit -require="$mod@$PULUMI_KUBERNETES_MODULE_VERSION"
   go mod download "$mod@$PULUMI_KUBERNETES_MODULE_VERSION"
   src=$(go list -m -f '{{.Dir}}' "$mod")
   # main embeds schema files that are generated, not shipped in the module zip: copy the
   # command into the wrapper and run its generate step there.
   mkdir -p cmd && cp -r "$src/cmd/pulumi-resource-kubernetes" cmd/ && chmod -R u+w cmd
   go mod tidy
   (cd cmd/pulumi-resource-kubernetes && VERSION=$PULUMI_KUBERNETES_VERSION go run generate.go)
   go build -trimpath \
     -ldflags "-s -w -X $mod/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
     -o "$out/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
  rm -rf "$w"
}

build_pulumi-language-yaml() {
  local out=$1
  GOBIN=$out go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$PULUMI_YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$PULUMI_YAML_VERSION"
}

build_kubernetes() {
  local out=$1 w v=$KUBERNETES_VERSION minor
  w=$(wrapper)
  minor=${v#v1.}; minor=${minor%%.*}
  (cd "$w"
   go mod edit -require="k8s.io/kubernetes@$v"
   # k8s.io/kubernetes requires its staging modules at v0.0.0 (replaced in-repo): point
   # each at the published release of the same Kubernetes version.
   local gomod
   gomod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
   awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod" | sort -u | while read -r m; do
     go mod edit -replace="$m=$m@v0.${v#v1.}"
   done
   go get "k8s.io/kubernetes/cmd/kube-apiserver@$v" "k8s.io/kubernetes/cmd/kube-controller-manager@$v" \
     "k8s.io/kubernetes/cmd/kube-scheduler@$v"
   local pkg=k8s.io/component-base/version ld
   ld="-s -w -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
   ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
   go build -trimpath -ldflags "$ld" -o "$out/" \
     k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
     k8s.io/kubernetes/cmd/kube-scheduler)
  rm -rf "$w"
}

build_etcd() {
  local out=$1 w
  w=$(wrapper)
  (cd "$w"
   go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
   go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
   go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$w"
}

build_kwok() {
  local out=$1
  GOBIN=$out go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_actionlint() {
  local out=$1
  GOBIN=$out go install -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
}

# shellcheck source=scripts/toolchain-node.sh
. "$here/scripts/toolchain-node.sh"

ensure() {
  local tool=$1 dir stamp log start
  dir=$(dir_of "$tool")
  stamp=$dir/.built
  # One build of a tool at a time: a second run waits, then finds the stamp.
  exec {lock}>"$dir.lock"
  flock "$lock"
  if [ ! -f "$stamp" ]; then
    command -v go >/dev/null || { echo "toolchain: Go is needed to build $tool (install Go 1.26)" >&2; return 1; }
    log=$CACHE/logs/$tool-$(version_of "$tool").log
    echo "toolchain: building $tool $(version_of "$tool") (log: $log)" >&2
    rm -rf "$dir"; mkdir -p "$dir"
    start=$(date +%s)
    if ! "build_$tool" "$dir" >"$log" 2>&1; then
      echo "toolchain: building $tool failed; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    printf '%s %s %ss\n' "$tool" "$(version_of "$tool")" "$(( $(date +%s) - start ))" >"$stamp"
    echo "toolchain: built $tool in $(( $(date +%s) - start ))s" >&2
  fi
  for b in $(binaries_of "$tool"); do
    ln -sfn "$dir/$b" "$BIN/$b"
  done
  flock -u "$lock"
}

case "${1:-}" in
  --bin) echo "$BIN"; exit 0 ;;
  --dir) version_of "${2:?--dir TOOL}" >/dev/null; dir_of "$2"; exit 0 ;;
  --list)
    for t in "${tools[@]}"; do
      d=$(dir_of "$t"); s=missing; [ -f "$d/.built" ] && s="built ($(cut -d' ' -f3 "$d/.built"))"
      printf '%-28s %-12s %s\n' "$t" "$(version_of "$t")" "$s"
    done; exit 0 ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${tools[@]}")
for t in "${want[@]}"; do version_of "$t" >/dev/null; done
for t in "${want[@]}"; do ensure "$t"; done
echo "$BIN"
