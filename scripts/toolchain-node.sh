# shellcheck shell=bash
# shellcheck disable=SC2154  # $here, $CACHE: set by scripts/toolchain.sh, which sources this file
# Node artifacts for real kubeadm nodes on the test hosts, sourced by scripts/toolchain.sh
# (which provides wrapper, ensure, $CACHE and the pins of toolchain/versions.env).
#
# Each build function below runs in a context where `set -e` is ignored (toolchain.sh calls
# it inside `if !`), so every step that can fail ends in `|| return 1`.
# Why each build looks the way it does: toolchain/README.md, section "Node artifacts".

# kubelet, kubeadm, kubectl, kube-proxy and the control plane's three binaries for one
# Kubernetes release: the images need the control plane binaries of the same release, and
# the same flags as build_kubernetes let the Go build cache share the compile.
build_kube_release() {
  local out=$1 v=$2 w minor gomod pkg=k8s.io/component-base/version ld
  w=$(wrapper) || return 1
  minor=${v#v1.}; minor=${minor%%.*}
  (cd "$w" || exit 1
   go mod edit -require="k8s.io/kubernetes@$v" || exit 1
   gomod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
   [ -n "$gomod" ] || exit 1
   awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod" | sort -u | while read -r m; do
     go mod edit -replace="$m=$m@v0.${v#v1.}"
   done
   local cmds=() c
   for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kubeadm kubectl kube-proxy; do
     cmds+=("k8s.io/kubernetes/cmd/$c")
   done
   go get "${cmds[@]/%/@$v}" || exit 1
   ld="-s -w -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
   ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
   go build -trimpath -ldflags "$ld" -o "$out/" "${cmds[@]}") || return 1
  rm -rf "$w"
}

build_kube-node() { build_kube_release "$1" "$KUBERNETES_VERSION"; }
build_kube-node-previous() { build_kube_release "$1" "$KUBERNETES_PREVIOUS_VERSION"; }

build_containerd() {
  local out=$1 w mod=github.com/containerd/containerd/v2
  w=$(wrapper) || return 1
  (cd "$w" || exit 1
   go get "$mod/cmd/containerd@$CONTAINERD_VERSION" "$mod/cmd/ctr@$CONTAINERD_VERSION" \
     "$mod/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" || exit 1
   # As containerd's Makefile for a static build; no_* drop the snapshotters needing cgo.
   go build -trimpath -tags "no_btrfs no_devmapper no_zfs osusergo netgo" \
     -ldflags "-s -w -X $mod/version.Version=$CONTAINERD_VERSION -X $mod/version.Package=github.com/containerd/containerd/v2" \
     -o "$out/" "$mod/cmd/containerd" "$mod/cmd/ctr" "$mod/cmd/containerd-shim-runc-v2") || return 1
  rm -rf "$w"
}

build_runc() {
  local out=$1 w mod=github.com/opencontainers/runc
  w=$(wrapper) || return 1
  # runc needs cgo (nsenter) and libseccomp (Debian libseccomp-dev, .ci/apt-packages.txt);
  # linked statically so it runs in any node root.
  (cd "$w" || exit 1
   go get "$mod@$RUNC_VERSION" || exit 1
   CGO_ENABLED=1 go build -trimpath -tags "seccomp netgo osusergo" \
     -ldflags "-s -w -X main.version=${RUNC_VERSION#v} -extldflags -static" \
     -o "$out/runc" "$mod") || return 1
  rm -rf "$w"
}

build_cni-plugins() {
  local out=$1 mod=github.com/containernetworking/plugins
  GOBIN=$out go install -trimpath \
    -ldflags "-s -w -X $mod/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
    "$mod/plugins/main/bridge@$CNI_PLUGINS_VERSION" "$mod/plugins/ipam/host-local@$CNI_PLUGINS_VERSION" \
    "$mod/plugins/main/loopback@$CNI_PLUGINS_VERSION" "$mod/plugins/meta/portmap@$CNI_PLUGINS_VERSION"
}

build_coredns() {
  local out=$1 w
  w=$(wrapper) || return 1
  (cd "$w" || exit 1
   go get "github.com/coredns/coredns@$COREDNS_VERSION" || exit 1
   go build -trimpath -ldflags "-s -w" -o "$out/coredns" github.com/coredns/coredns) || return 1
  rm -rf "$w"
}

# The etcd release kubeadm deploys (its constants name it); the `etcd` tool is kwokctl's.
build_etcd-kubeadm() {
  local out=$1 w
  w=$(wrapper) || return 1
  (cd "$w" || exit 1
   go get "go.etcd.io/etcd/server/v3@$KUBEADM_ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$KUBEADM_ETCD_VERSION" || exit 1
   go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3 || exit 1
   go build -trimpath -ldflags "-s -w" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3) || return 1
  rm -rf "$w"
}

# The pause container: its C source ships in the k8s.io/kubernetes module zip.
build_pause() {
  local out=$1 dir
  dir=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$dir/build/pause/linux/pause.c" ] || { echo "no pause.c in $dir" >&2; return 1; }
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION" \
    -o "$out/pause" "$dir/build/pause/linux/pause.c" || return 1
  strip "$out/pause"
}

# Debian's iptables (nft backend) and conntrack with their libraries, unpacked as a root
# tree for the kube-proxy image. Versions are the mirror's; the stamp dir records them.
kube_proxy_debs() {
  local root=$1 tmp p wanted pkgs
  tmp=$(mktemp -d "$CACHE/debs.XXXXXX") || return 1
  read -r -a wanted <<<"$KUBE_PROXY_DEBS"
  mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances --no-pre-depends "${wanted[@]}" | grep -v '^ ' | sort -u)
  [ "${#pkgs[@]}" -gt 0 ] || { echo "apt-cache found no $KUBE_PROXY_DEBS" >&2; return 1; }
  (cd "$tmp" && apt-get download "${pkgs[@]}") || { echo "apt-get download failed (apt-get update?)" >&2; return 1; }
  for p in "$tmp"/*.deb; do
    dpkg-deb -x "$p" "$root" || return 1
    dpkg-deb -f "$p" Package Version | paste -sd' ' >>"$root.versions"
  done
  rm -rf "$tmp"
  # kube-proxy runs iptables/ip6tables and their -save/-restore by name: the nft backend.
  for p in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sfn xtables-nft-multi "$root/usr/sbin/$p"
  done
}

# Image tarballs of what `kubeadm config images list` names for one release, written by
# toolchain/imagewriter (go-containerregistry). It refuses a listed tag it has no binary for.
build_kube_images() {
  local out=$1 v=$2 node=$3 writer deps=$1/.debs-root
  ( ensure "$node" && ensure etcd-kubeadm && ensure coredns && ensure pause ) || return 1
  writer=$(mktemp -d "$CACHE/imagewriter.XXXXXX") || return 1
  (cd "$here/toolchain/imagewriter" && go build -trimpath -o "$writer/imagewriter" .) || return 1
  mkdir -p "$deps" && kube_proxy_debs "$deps" || return 1
  "$(dir_of "$node")/kubeadm" config images list --kubernetes-version "$v" >"$out/images.txt" || return 1
  "$writer/imagewriter" -list "$out/images.txt" -out "$out" \
    -kube "$(dir_of "$node")" -etcd "$(dir_of etcd-kubeadm)" -coredns "$(dir_of coredns)" \
    -pause "$(dir_of pause)" -kube-proxy-root "$deps" -kube-version "$v" \
    -etcd-version "$KUBEADM_ETCD_VERSION" -coredns-version "$COREDNS_VERSION" \
    -pause-version "$PAUSE_VERSION" || return 1
  mv "$deps.versions" "$out/kube-proxy-debs.txt"
  rm -rf "$deps" "$writer"
}

build_node-images() { build_kube_images "$1" "$KUBERNETES_VERSION" kube-node; }
build_node-images-previous() { build_kube_images "$1" "$KUBERNETES_PREVIOUS_VERSION" kube-node-previous; }

node_version_of() {
  case "$1" in
    kube-node) echo "$KUBERNETES_VERSION" ;;
    kube-node-previous) echo "$KUBERNETES_PREVIOUS_VERSION" ;;
    # The images hold etcd, coredns and pause too: their pins are part of the key.
    node-images) echo "$KUBERNETES_VERSION+etcd${KUBEADM_ETCD_VERSION#v}+coredns${COREDNS_VERSION#v}+pause$PAUSE_VERSION" ;;
    node-images-previous) echo "$KUBERNETES_PREVIOUS_VERSION+etcd${KUBEADM_ETCD_VERSION#v}+coredns${COREDNS_VERSION#v}+pause$PAUSE_VERSION" ;;
    containerd) echo "$CONTAINERD_VERSION" ;;
    runc) echo "$RUNC_VERSION" ;;
    cni-plugins) echo "$CNI_PLUGINS_VERSION" ;;
    coredns) echo "$COREDNS_VERSION" ;;
    etcd-kubeadm) echo "$KUBEADM_ETCD_VERSION" ;;
    pause) echo "$PAUSE_VERSION" ;;
    *) return 1 ;;
  esac
}

# Linked into the bin dir: only the current release's binaries. The previous release, the
# CNI plugins and the images are read from their cache dirs (scripts/toolchain.sh --dir).
node_binaries_of() {
  case "$1" in
    kube-node) echo "kubelet kubeadm kubectl kube-proxy" ;;
    containerd) echo "containerd ctr containerd-shim-runc-v2" ;;
    runc|coredns|pause) echo "$1" ;;
    etcd-kubeadm|kube-node-previous|cni-plugins|node-images|node-images-previous) ;;
    *) return 1 ;;
  esac
}
