"""Real kubeadm clusters on test hosts made nodes (tests/realnode/node.py): kubeadm's images
imported, `kubeadm init` on the first node, joins of the others, the bridge CNI with routes
between nodes, kubectl from this machine through the API server on the test bridge; `close()`
tears it all down and says what on this machine differs from before.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from tests.realnode.node import RealNode
from tests.realnode.safety import MachineState
from tests.testbed.hosts import create_testbed

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("kube-node", "containerd", "runc", "cni-plugins", "etcd-kubeadm", "node-images")
# A cluster at the patch release before (the upgrade starts there) also needs these.
PREVIOUS_TOOLS = ("kube-node-previous", "node-images-previous")
POD_CIDR = "10.244.0.0/16"

KUBEADM_INIT = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
  bindPort: 6443
nodeRegistration: {registration}
# Encrypts the control plane's certificates uploaded for control-plane joins (--upload-certs).
certificateKey: {certificate_key}
patches:
  directory: /etc/kubernetes/patches
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: {version}
controlPlaneEndpoint: {address}:6443
networking:
  podSubnet: {pod_cidr}
  serviceSubnet: 10.96.0.0/12
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
resolvConf: /etc/resolv.conf
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# nf_conntrack_max is machine-wide: kube-proxy leaves the conntrack settings alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
"""
KUBEADM_JOIN = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: {endpoint}
    token: {token}
    caCertHashes: [{ca_hash}]
nodeRegistration: {registration}
patches:
  directory: /etc/kubernetes/patches
{control_plane}"""
CONTROL_PLANE_JOIN = """\
controlPlane:
  localAPIEndpoint:
    advertiseAddress: {address}
    bindPort: 6443
  certificateKey: {certificate_key}
"""
# This machine's cgroups are v1 (hybrid): kubeadm's own message asks for exactly this.
REGISTRATION = ('{{name: {name}, criSocket: "unix:///run/containerd/containerd.sock", imagePullPolicy: Never, '
                'ignorePreflightErrors: [SystemVerification]}}')
# One cgroup root per node: two kubelets on one root kill each other's pods.
KUBELET_PATCH = "cgroupRoot: /{cgroup_root}\n"
BRIDGE_CNI = {
    "cniVersion": "1.0.0", "name": "cf-bridge",
    "plugins": [{"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False, "hairpinMode": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "{subnet}"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
                {"type": "portmap", "capabilities": {"portMappings": True}}],
}


def tool_dir(tool: str) -> Path:
    out = subprocess.run([ROOT / "scripts" / "toolchain.sh", "--dir", tool], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


class Cluster:
    """Real nodes on test hosts (the first the control plane), torn down (once) by `close()`."""

    def __init__(self, count: int, previous: bool = False):
        self.dirs = {tool: tool_dir(tool) for tool in TOOLS + (PREVIOUS_TOOLS if previous else ())}
        kube_tool, images_tool = ("kube-node-previous", "node-images-previous") if previous else ("kube-node", "node-images")
        self.before, self.noisy = MachineState.settled()
        self.figures: dict[str, float] = {}
        self.node_processes: set[int] = set()
        self.nodes: list[RealNode] = []
        self.closed = False
        self.certificate_key = secrets.token_hex(32)
        start = time.monotonic()
        self.bed = create_testbed(count)
        kube, containerd = self.dirs[kube_tool], self.dirs["containerd"]
        bins = {name: kube / name for name in ("kubeadm", "kubelet", "kubectl")}
        bins |= {name: containerd / name for name in ("containerd", "ctr", "containerd-shim-runc-v2")}
        bins["runc"] = self.dirs["runc"] / "runc"
        bins["etcdctl"] = self.dirs["etcd-kubeadm"] / "etcdctl"  # to ask etcd itself for its members
        images = self.dirs[images_tool]
        refs = image_files(images)
        self.version = next(r.split(":")[1] for r in refs if "/kube-apiserver:" in r)
        pause = next(r for r in refs if "/pause:" in r)
        try:
            for host in self.bed.hosts:
                node = RealNode(self.bed, host, bins, self.dirs["cni-plugins"], pause)
                self.nodes.append(node)
                (node.root / "etc/kubernetes/patches").mkdir(parents=True)
                (node.root / "etc/kubernetes/patches/kubeletconfiguration+merge.yaml").write_text(
                    KUBELET_PATCH.format(cgroup_root=node.cgroup_root))
            self.figures["nodes_up_s"] = time.monotonic() - start
            start = time.monotonic()
            for node in self.nodes:
                self.import_images(node, images, refs)
            self.figures["images_import_s_per_node"] = (time.monotonic() - start) / count
        except BaseException:
            self.close()
            raise

    @property
    def control_plane(self) -> RealNode:
        return self.nodes[0]

    def install(self, node: RealNode, binaries: dict[str, Path]) -> None:
        """Replace binaries on a node, running ones too (a new file renamed over the old)."""
        for name, path in binaries.items():
            target = node.root / "usr/local/bin" / name
            shutil.copy2(path, target.with_name(f".{name}.new"))
            os.replace(target.with_name(f".{name}.new"), target)

    @staticmethod
    def import_images(node: RealNode, images: Path, refs: dict[str, str]) -> None:
        target = node.root / "var/tmp/images"
        target.mkdir(parents=True)
        for file in refs.values():
            shutil.copy2(images / file, target / file)
            node.exec("ctr", "-n", "k8s.io", "images", "import", f"/var/tmp/images/{file}")
        shutil.rmtree(target)

    def init(self) -> subprocess.CompletedProcess:
        node = self.control_plane
        (node.root / "etc/kubernetes/kubeadm-init.yaml").write_text(KUBEADM_INIT.format(
            address=node.host.address, version=self.version, pod_cidr=POD_CIDR,
            registration=REGISTRATION.format(name=node.name), certificate_key=self.certificate_key))
        return node.exec("kubeadm", "init", "--config", "/etc/kubernetes/kubeadm-init.yaml", "--upload-certs",
                         check=False)

    def join(self, node: RealNode, control_plane: bool = False) -> subprocess.CompletedProcess:
        command = self.control_plane.exec("kubeadm", "token", "create", "--print-join-command").stdout.split()
        (node.root / "etc/kubernetes/kubeadm-join.yaml").write_text(KUBEADM_JOIN.format(
            endpoint=command[2], token=command[command.index("--token") + 1],
            ca_hash=command[command.index("--discovery-token-ca-cert-hash") + 1],
            registration=REGISTRATION.format(name=node.name),
            control_plane=CONTROL_PLANE_JOIN.format(address=node.host.address, certificate_key=self.certificate_key)
            if control_plane else ""))
        return node.exec("kubeadm", "join", "--config", "/etc/kubernetes/kubeadm-join.yaml", check=False)

    def pod_network(self) -> dict[str, str]:
        """Each registered node's pod range served by the bridge plugin, routed from the others."""
        cidrs = {}
        for item in json.loads(self.kubectl("get", "nodes", "-o", "json").stdout)["items"]:
            if item["spec"].get("podCIDR"):
                cidrs[item["metadata"]["name"]] = item["spec"]["podCIDR"]
        for node in self.nodes:
            if node.name not in cidrs:
                continue
            conf = json.loads(json.dumps(BRIDGE_CNI).replace("{subnet}", cidrs[node.name]))
            (node.root / "etc/cni/net.d").mkdir(parents=True, exist_ok=True)
            (node.root / "etc/cni/net.d/10-cf-bridge.conflist").write_text(json.dumps(conf, indent=2))
            for other in self.nodes:
                if other is not node and other.name in cidrs:
                    node.exec("ip", "route", "replace", cidrs[other.name], "via", other.host.address)
        return cidrs

    def kubectl(self, *args: str) -> subprocess.CompletedProcess:
        """kubectl from this machine against the API server on the test bridge, as an admin."""
        return subprocess.run([self.dirs["kube-node"] / "kubectl", "--kubeconfig",
                               self.control_plane.root / "etc/kubernetes/admin.conf", "--request-timeout=10s", *args],
                              capture_output=True, text=True)

    def retire(self, node: RealNode) -> list[str]:
        """Take a node out as remove-node does: drain, `kubeadm reset` on it (a control plane's
        etcd member goes with it), delete the Node. The names of the Nodes left."""
        drain = self.kubectl("drain", node.name, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s")
        assert drain.returncode == 0, drain.stderr
        reset = node.exec("kubeadm", "reset", "--force", check=False)
        assert reset.returncode == 0, reset.stdout[-3000:] + reset.stderr[-3000:]
        node.restart_kubelet()  # the supervisor then waits: no config
        assert self.kubectl("delete", "node", node.name).returncode == 0
        return [n["metadata"]["name"] for n in json.loads(self.kubectl("get", "nodes", "-o", "json").stdout)["items"]]

    def close(self) -> list[str]:
        """Tear everything down; what differs on this machine from before (empty: nothing)."""
        if self.closed:
            return []
        self.closed = True
        for node in self.nodes:
            ns = node._mount_ns()
            node.close()
            self.node_processes |= node.processes() | _in_mount_ns(ns)
        if not hasattr(self, "bed"):  # the test bed itself failed to start (it cleaned up after itself)
            return []
        self.bed.close()
        return self.before.differences(MachineState.now(), self.noisy, self.bed.bed)


def _in_mount_ns(ns: str | None) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            if ns and entry.name.isdigit() and os.readlink(entry / "ns/mnt") == ns:
                pids.add(int(entry.name))
        except OSError:
            pass
    return pids


def image_files(images: Path) -> dict[str, str]:
    """Image reference -> its tarball in an images dir of the toolchain (images.tsv)."""
    return dict(line.split("\t")[:2] for line in (images / "images.tsv").read_text().splitlines())


def ready_nodes(cluster: Cluster) -> set[str]:
    out = cluster.kubectl("get", "nodes", "-o", "json")
    if out.returncode:
        return set()
    return {n["metadata"]["name"] for n in json.loads(out.stdout)["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])}


def wait_ready(cluster: Cluster, names: set[str], seconds: float = 180) -> float:
    """Seconds until every node in `names` is Ready (the pod network written as ranges appear)."""
    start = time.monotonic()
    while time.monotonic() < start + seconds and not names <= ready_nodes(cluster):
        cluster.pod_network()
        time.sleep(2)
    assert names <= ready_nodes(cluster), cluster.kubectl("describe", "nodes").stdout[-4000:]
    return time.monotonic() - start


def started_cluster(size: int, previous: bool = False) -> Cluster:
    """A cluster of `size` real nodes, or the reason it cannot be had here (skip; fail under CI)."""
    from tests.needs import missing
    from tests.testbed.fixtures import _skip_reason

    reason = _skip_reason()
    if reason:
        missing(f"cannot build test hosts: {reason}")
    tools = TOOLS + PREVIOUS_TOOLS if previous else TOOLS
    for tool in tools:
        if not (tool_dir(tool) / ".built").is_file():
            missing(f"node artifact {tool} not built: scripts/toolchain.sh {' '.join(tools)}")
    return Cluster(size, previous=previous) if previous else Cluster(size)


def assert_machine_as_it_was(cluster: Cluster) -> None:
    """Tear the cluster down; the machine is as before it, and nothing of the nodes is left."""
    cgroup_roots = [n.cgroup_root for n in cluster.nodes]
    differences = cluster.close()
    print("figures:", json.dumps({k: round(v, 1) for k, v in cluster.figures.items()}))
    assert differences == []
    assert cluster.node_processes == set()
    assert not [h for h in Path("/sys/fs/cgroup").iterdir() for r in cgroup_roots if (h / r).exists()]
