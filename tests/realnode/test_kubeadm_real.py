"""A real `kubeadm init` and `kubeadm join` on test hosts made nodes: real kubelet, containerd, runc, images
built here; checked with kubectl against the API server; the machine checked unchanged after.

Needs root and the node artifacts (scripts/toolchain.sh kube-node containerd runc cni-plugins
node-images); without them it skips (fails under CI).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.needs import missing
from tests.realnode.node import RealNode
from tests.realnode.safety import MachineState
from tests.testbed.fixtures import _skip_reason
from tests.testbed.hosts import create_testbed

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("kube-node", "containerd", "runc", "cni-plugins", "node-images")
POD_CIDR = "10.244.0.0/16"

KUBEADM_INIT = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
  bindPort: 6443
nodeRegistration: {registration}
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


def _tool_dir(tool: str) -> Path:
    out = subprocess.run([ROOT / "scripts" / "toolchain.sh", "--dir", tool], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


class Cluster:
    """Real nodes on test hosts (the first the control plane), torn down (once) by `close()`."""

    def __init__(self, count: int):
        self.dirs = {tool: _tool_dir(tool) for tool in TOOLS}
        self.before, self.noisy = MachineState.settled()
        self.figures: dict[str, float] = {}
        self.node_processes: set[int] = set()
        self.nodes: list[RealNode] = []
        self.closed = False
        start = time.monotonic()
        self.bed = create_testbed(count)
        kube, containerd = self.dirs["kube-node"], self.dirs["containerd"]
        bins = {name: kube / name for name in ("kubeadm", "kubelet", "kubectl")}
        bins |= {name: containerd / name for name in ("containerd", "ctr", "containerd-shim-runc-v2")}
        bins["runc"] = self.dirs["runc"] / "runc"
        images = self.dirs["node-images"]
        refs = dict(line.split("\t")[:2] for line in (images / "images.tsv").read_text().splitlines())
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
                self._import_images(node, images, refs)
            self.figures["images_import_s_per_node"] = (time.monotonic() - start) / count
        except BaseException:
            self.close()
            raise

    @property
    def control_plane(self) -> RealNode:
        return self.nodes[0]

    @staticmethod
    def _import_images(node: RealNode, images: Path, refs: dict[str, str]) -> None:
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
            registration=REGISTRATION.format(name=node.name)))
        return node.exec("kubeadm", "init", "--config", "/etc/kubernetes/kubeadm-init.yaml", check=False)

    def join(self, node: RealNode) -> subprocess.CompletedProcess:
        command = self.control_plane.exec("kubeadm", "token", "create", "--print-join-command").stdout.split()
        (node.root / "etc/kubernetes/kubeadm-join.yaml").write_text(KUBEADM_JOIN.format(
            endpoint=command[2], token=command[command.index("--token") + 1],
            ca_hash=command[command.index("--discovery-token-ca-cert-hash") + 1],
            registration=REGISTRATION.format(name=node.name)))
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

    def close(self) -> list[str]:
        """Tear everything down; what differs on this machine from before (empty: nothing)."""
        if self.closed:
            return []
        self.closed = True
        for node in self.nodes:
            ns = node._mount_ns()
            node.close()
            self.node_processes |= node.processes() | _in_mount_ns(ns)
        if hasattr(self, "bed"):
            self.bed.close()
        return self.before.differences(MachineState.now(), self.noisy)


def _in_mount_ns(ns: str | None) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            if ns and entry.name.isdigit() and os.readlink(entry / "ns/mnt") == ns:
                pids.add(int(entry.name))
        except OSError:
            pass
    return pids


@pytest.fixture(scope="module")
def cluster():
    reason = _skip_reason()
    if reason:
        missing(f"cannot build test hosts: {reason}")
    for tool in TOOLS:
        if not (_tool_dir(tool) / ".built").is_file():
            missing(f"node artifact {tool} not built: scripts/toolchain.sh {' '.join(TOOLS)}")
    c = Cluster(2)
    yield c
    c.close()


def test_kubeadm_init_builds_a_control_plane(cluster):
    start = time.monotonic()
    result = cluster.init()
    cluster.figures["kubeadm_init_s"] = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert [n["metadata"]["name"] for n in nodes] == [cluster.control_plane.name]
    assert nodes[0]["status"]["nodeInfo"]["kubeletVersion"] == cluster.version
    containerd = (cluster.dirs["containerd"] / ".built").read_text().split()[1].lstrip("v")
    assert nodes[0]["status"]["nodeInfo"]["containerRuntimeVersion"] == f"containerd://{containerd}"


def _ready(cluster) -> set[str]:
    out = cluster.kubectl("get", "nodes", "-o", "json")
    if out.returncode:
        return set()
    return {n["metadata"]["name"] for n in json.loads(out.stdout)["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])}


def _wait_ready(cluster, names: set[str], seconds: float = 180) -> float:
    start = time.monotonic()
    while time.monotonic() < start + seconds and not names <= _ready(cluster):
        cluster.pod_network()
        time.sleep(2)
    assert names <= _ready(cluster), cluster.kubectl("describe", "nodes").stdout[-4000:]
    return time.monotonic() - start


def test_the_control_plane_becomes_ready_with_the_bridge_cni(cluster):
    cluster.figures["ready_after_init_s"] = _wait_ready(cluster, {cluster.control_plane.name})


def test_a_worker_joins_and_becomes_ready(cluster):
    worker = cluster.nodes[1]
    start = time.monotonic()
    result = cluster.join(worker)
    cluster.figures["kubeadm_join_s"] = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cluster.figures["ready_after_join_s"] = _wait_ready(cluster, {n.name for n in cluster.nodes})
    cidrs = cluster.pod_network()
    assert len(set(cidrs.values())) == len(cluster.nodes)  # one pod range per node
    versions = {n["status"]["nodeInfo"]["kubeletVersion"]
                for n in json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]}
    assert versions == {cluster.version}


def test_control_plane_kube_proxy_and_coredns_run(cluster):
    wanted = ("etcd-", "kube-apiserver-", "kube-controller-manager-", "kube-scheduler-", "coredns-")
    deadline = time.monotonic() + 180
    pods: list[dict] = []
    def running(prefix: str) -> list[dict]:
        return [p for p in pods if p["metadata"]["name"].startswith(prefix) and p["status"].get("phase") == "Running"]
    while time.monotonic() < deadline:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", "kube-system", "-o", "json").stdout
                          or '{"items": []}')["items"]
        if all(running(w) for w in wanted) and len(running("kube-proxy-")) == len(cluster.nodes):
            break
        time.sleep(3)
    phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
    for prefix in wanted:
        assert running(prefix), (prefix, phases)
    assert len(running("kube-proxy-")) == len(cluster.nodes), phases
    assert cluster.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"


def test_teardown_leaves_the_machine_as_it_was(cluster):
    cgroup_roots = [n.cgroup_root for n in cluster.nodes]
    differences = cluster.close()
    print("figures:", json.dumps({k: round(v, 1) for k, v in cluster.figures.items()}))
    assert differences == []
    assert cluster.node_processes == set()
    assert not [h for h in Path("/sys/fs/cgroup").iterdir() for r in cgroup_roots if (h / r).exists()]
