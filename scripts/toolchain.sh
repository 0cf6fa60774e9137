#!/usr/bin/env bash
# Build the real-engine toolchain from Go modules, pinned, into a cache keyed by version.
#
#   scripts/toolchain.sh [TOOL ...]   build what is missing (default: all); print the bin dir
#   scripts/toolchain.sh --bin        print the bin dir only (builds nothing)
#   scripts/toolchain.sh --list       the tools and their cache keys
#   scripts/toolchain.sh --pulumi-home  print the plugin cache (a PULUMI_HOME) the plugins go to
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

# Plugins built from the upstream source archives in $SRC (../shared/src): the module proxy
# refuses them. Each archive's SHA-256 is pinned in toolchain/sources.sha256.
SRC=${CLUSTERFORGE_SRC_DIR:-$here/../shared/src}
# The engine's own plugin cache, isolated from the user's ~/.pulumi: every plugin built here is
# installed into it at its exact version, so the engine never looks elsewhere.
PULUMI_HOME_DIR=$CACHE/pulumi-home

tools=(pulumi pulumi-language-python pulumi-resource-kubernetes pulumi-resource-command
       pulumi-resource-random pulumi-resource-tls pulumi-resource-proxmoxve kubernetes etcd kwok actionlint)
# Resource plugins: the tool, the plugin name and its version (installed into $PULUMI_HOME_DIR).
plugins=(kubernetes command random tls proxmoxve)
# Real-node artifacts (scripts/toolchain-node.sh); dependencies before what uses them.
tools+=(containerd runc cni-plugins coredns etcd-kubeadm pause kube-node kube-node-previous node-images node-images-previous)

version_of() {
  case "$1" in
    pulumi) echo "$PULUMI_VERSION" ;;
    # The language host's directory holds a copy of the CLI, so its key names both.
    pulumi-language-python) echo "$PULUMI_LANGUAGE_PYTHON_VERSION-cli-$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "$PULUMI_KUBERNETES_VERSION" ;;
    pulumi-resource-command) echo "$PULUMI_COMMAND_VERSION" ;;
    pulumi-resource-random) echo "$PULUMI_RANDOM_VERSION" ;;
    pulumi-resource-tls) echo "$PULUMI_TLS_VERSION" ;;
    pulumi-resource-proxmoxve) echo "$PULUMI_PROXMOXVE_VERSION" ;;
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
    # Only the CLI is linked from here: it finds the language host beside its real (not
    # symlinked) binary. On PATH the engine would take the host from there, with a warning.
    pulumi-language-python) echo "pulumi" ;;
    # Resource plugins go into the plugin cache only: on PATH the engine would take them
    # whatever their version, with a warning.
    pulumi-resource-*) echo "" ;;
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

# The upstream source archive named in toolchain/sources.sha256 for $1, checked and unpacked
# into $2; prints the unpacked top directory. A missing or altered archive stops the build.
unpack_source() {
  local name=$1 into=$2 file want got
  file=$(awk -v n="$name" '$2 ~ "^"n"-v?[0-9]" {print $2}' "$here/toolchain/sources.sha256")
  want=$(awk -v f="$file" '$2 == f {print $1}' "$here/toolchain/sources.sha256")
  [ -n "$file" ] || { echo "toolchain: no source archive pinned for $name in toolchain/sources.sha256" >&2; return 1; }
  if [ ! -f "$SRC/$file" ]; then
    echo "toolchain: source archive $SRC/$file is missing (it comes with ../shared/src; set CLUSTERFORGE_SRC_DIR to where it is)" >&2
    return 1
  fi
  got=$(sha256sum "$SRC/$file" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    echo "toolchain: source archive $SRC/$file is altered: SHA-256 $got, pinned $want" >&2
    return 1
  fi
  [ "${3:-}" = --check-only ] && return 0
  tar -xzf "$SRC/$file" -C "$into"
  echo "$into/${file%.tar.gz}"
}

build_pulumi-language-python() {
  local out=$1 w src cli
  cli=$(dir_of pulumi)/pulumi
  w=$(mktemp -d "$CACHE/wrap.XXXXXX")
  src=$(unpack_source pulumi-language-python "$w")
  (cd "$src/sdk/python/cmd/pulumi-language-python"
   # Its go.mod points pkg/v3 and sdk/v3 at the monorepo; take the CLI's release instead.
   go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
     -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" \
     -replace=golang.org/x/text=golang.org/x/text@v0.41.0
   go mod tidy
   go build -trimpath -tags osusergo,grpcnotrace \
     -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_PYTHON_VERSION" \
     -o "$out/pulumi-language-python" .
   install -m 0755 ../pulumi-language-python-exec "$out/")
  # A real copy, not a link: the CLI looks for bundled language hosts beside its own binary.
  cp "$cli" "$out/pulumi"
  rm -rf "$w"
}

# A provider from its source archive: the generate step (embedded schema), then the build.
# $1 out dir, $2 name, $3 version, $4 Go module of the provider, $5 `edit` (go mod edit ARGS,
# then tidy) or `pin` (go mod edit ARGS alone: the build adds what it needs, where tidy would
# also want test-only modules of dependencies that the proxy refuses), $6.. its arguments.
build_provider_from_source() {
  local out=$1 name=$2 version=$3 module=$4 how=${5:-} w src
  shift 4; [ $# -gt 0 ] && shift
  w=$(mktemp -d "$CACHE/wrap.XXXXXX")
  src=$(unpack_source "pulumi-$name" "$w")
  (cd "$src/provider"
   case $how in
     edit) go mod edit "$@"; go mod tidy ;;
     pin) go mod edit "$@" ;;
   esac
   if [ -f "cmd/pulumi-resource-$name/generate.go" ]; then
     (cd "cmd/pulumi-resource-$name" && VERSION=$version go run generate.go)
   fi
   go build -trimpath -ldflags "-s -w -X $module/pkg/version.Version=$version" \
     -o "$out/pulumi-resource-$name" "./cmd/pulumi-resource-$name")
  rm -rf "$w"
}

build_pulumi-resource-command() {
  build_provider_from_source "$1" command "$PULUMI_COMMAND_VERSION" github.com/pulumi/pulumi-command/provider
}

build_pulumi-resource-random() {
  build_provider_from_source "$1" random "$PULUMI_RANDOM_VERSION" github.com/pulumi/pulumi-random/provider/v4
}

build_pulumi-resource-tls() {
  # Its bridge release is refused by the proxy (403 on the .mod): take the one random uses.
  # pulumi-java's pkg no longer compiles against the newer pkg/v3 and is not needed to run.
  build_provider_from_source "$1" tls "$PULUMI_TLS_VERSION" github.com/pulumi/pulumi-tls/provider/v5 edit \
    -require=github.com/pulumi/pulumi-terraform-bridge/v3@v3.137.0 -droprequire=github.com/pulumi/pulumi-java/pkg
}

build_pulumi-resource-proxmoxve() {
  # Its go.mod pins pseudo-versions of pulumi-yaml and the .NET language host that the proxy
  # refuses (403): take the bridge release random builds with, and the releases it needs
  # (as random's go.mod has them), which also shares their compiled packages.
  local m=github.com/pulumi
  build_provider_from_source "$1" proxmoxve "$PULUMI_PROXMOXVE_VERSION" github.com/muhlba91/pulumi-proxmoxve/provider pin \
    -require=$m/pulumi-terraform-bridge/v3@v3.137.0 -require=$m/pulumi-dotnet/pulumi-language-dotnet/v3@v3.110.0 \
    -require=$m/pulumi-yaml@v1.38.1 -require=$m/pulumi-java@v1.34.0 \
    -require=$m/pulumi/pkg/v3@v3.256.0 -require=$m/pulumi/sdk/v3@v3.256.0
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

# Every binary a tool's build must leave in its directory.
built_all() {
  local tool=$1 dir=$2 b
  case $tool in pulumi-resource-*) [ -x "$dir/$tool" ] || return 1 ;; esac
  for b in $(binaries_of "$tool"); do [ -x "$dir/$b" ] || return 1; done
}

# Tools another tool's build reads (the language host's directory carries the CLI).
depends_of() {
  case "$1" in
    pulumi-language-python) echo "pulumi" ;;
  esac
}

# The source archive a tool builds from, if any (name as in toolchain/sources.sha256).
source_of() {
  case "$1" in
    pulumi-language-python) echo "pulumi-language-python" ;;
    pulumi-resource-command|pulumi-resource-random|pulumi-resource-tls|pulumi-resource-proxmoxve)
      echo "pulumi-${1#pulumi-resource-}" ;;
  esac
}

# Install each built resource plugin into the isolated plugin cache at its exact version
# (`pulumi plugin install --file`); an identical binary already there is left alone.
install_plugins() {
  local cli=$BIN/pulumi name tool version dest
  [ -x "$cli" ] || return 0
  for name in "${plugins[@]}"; do
    tool=pulumi-resource-$name
    [ -f "$(dir_of "$tool")/.built" ] || continue
    version=$(version_of "$tool")
    dest=$PULUMI_HOME_DIR/plugins/resource-$name-v$version/pulumi-resource-$name
    cmp -s "$dest" "$(dir_of "$tool")/pulumi-resource-$name" && continue
    echo "toolchain: installing plugin $name $version into $PULUMI_HOME_DIR" >&2
    PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
      "$cli" plugin install resource "$name" "$version" --file "$(dir_of "$tool")/pulumi-resource-$name" \
      --reinstall >/dev/null
  done
}
# shellcheck source=scripts/toolchain-node.sh
. "$here/scripts/toolchain-node.sh"

ensure() {
  local tool=$1 dir stamp log start dep
  for dep in $(depends_of "$tool"); do ensure "$dep"; done
  dir=$(dir_of "$tool")
  stamp=$dir/.built
  # One build of a tool at a time: a second run waits, then finds the stamp.
  exec {lock}>"$dir.lock"
  flock "$lock"
  if [ ! -f "$stamp" ]; then
    command -v go >/dev/null || { echo "toolchain: Go is needed to build $tool (install Go 1.26)" >&2; return 1; }
    log=$CACHE/logs/$tool-$(version_of "$tool").log
    echo "toolchain: ${PROGRESS:-}building $tool $(version_of "$tool"): needs the network (Go module proxy) (log: $log)" >&2
    rm -rf "$dir"; mkdir -p "$dir"
    start=$(date +%s)
    # In the background, so `set -e` holds inside the build (bash ignores it in an `if`).
    "build_$tool" "$dir" >"$log" 2>&1 &
    if ! wait $! || ! built_all "$tool" "$dir"; then
      echo "toolchain: building $tool failed; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    printf '%s %s %ss\n' "$tool" "$(version_of "$tool")" "$(( $(date +%s) - start ))" >"$stamp"
    echo "toolchain: ${PROGRESS:-}built $tool in $(( $(date +%s) - start ))s" >&2
  else
    echo "toolchain: ${PROGRESS:-}$tool $(version_of "$tool") cached" >&2
  fi
  for b in $(binaries_of "$tool"); do
    ln -sfn "$dir/$b" "$BIN/$b"
  done
  case $tool in
    pulumi-resource-*) rm -f "$BIN/$tool" ;;
    pulumi-language-python) rm -f "$BIN/pulumi-language-python" "$BIN/pulumi-language-python-exec" ;;
  esac
  flock -u "$lock"
}

# One compound command, read whole before it runs: editing this file while a build runs
# cannot change what the running build does next.
{
case "${1:-}" in
  --bin) echo "$BIN"; exit 0 ;;
  --pulumi-home) echo "$PULUMI_HOME_DIR"; exit 0 ;;
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
# Every source archive checked before any build starts: a missing or altered one is one line.
for t in "${want[@]}"; do
  s=$(source_of "$t")
  [ -z "$s" ] || [ -f "$(dir_of "$t")/.built" ] || unpack_source "$s" "" --check-only
done
k=0
for t in "${want[@]}"; do k=$((k + 1)); PROGRESS="[$k/${#want[@]}] " ensure "$t"; done
install_plugins
echo "$BIN"
exit
}
