"""A real `kubeadm init` on a test host made a node: real kubelet, containerd, runc, images
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

KUBEADM_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
  bindPort: 6443
nodeRegistration:
  name: {name}
  criSocket: unix:///run/containerd/containerd.sock
  imagePullPolicy: Never
  # This machine's cgroups are v1 (hybrid): kubeadm's own message asks for exactly this.
  ignorePreflightErrors: [SystemVerification]
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
cgroupRoot: /{cgroup_root}
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
    """One real control plane on one test host, torn down (once) by `close()`."""

    def __init__(self):
        self.dirs = {tool: _tool_dir(tool) for tool in TOOLS}
        self.before, self.noisy = MachineState.settled()
        self.figures: dict[str, float] = {}
        self.node_processes: set[int] = set()
        self.closed = False
        start = time.monotonic()
        self.bed = create_testbed(1)
        kube, containerd = self.dirs["kube-node"], self.dirs["containerd"]
        bins = {name: kube / name for name in ("kubeadm", "kubelet", "kubectl")}
        bins |= {name: containerd / name for name in ("containerd", "ctr", "containerd-shim-runc-v2")}
        bins["runc"] = self.dirs["runc"] / "runc"
        images = self.dirs["node-images"]
        refs = dict(line.split("\t")[:2] for line in (images / "images.tsv").read_text().splitlines())
        self.version = next(r.split(":")[1] for r in refs if "/kube-apiserver:" in r)
        pause = next(r for r in refs if "/pause:" in r)
        try:
            self.node = RealNode(self.bed, self.bed.hosts[0], bins, self.dirs["cni-plugins"], pause)
            self.figures["node_up_s"] = time.monotonic() - start
            self._import_images(images, refs)
            self._write_configs()
        except BaseException:
            self.close()
            raise

    def _import_images(self, images: Path, refs: dict[str, str]) -> None:
        start = time.monotonic()
        target = self.node.root / "var/tmp/images"
        target.mkdir(parents=True)
        for file in refs.values():
            shutil.copy2(images / file, target / file)
            self.node.exec("ctr", "-n", "k8s.io", "images", "import", f"/var/tmp/images/{file}")
        shutil.rmtree(target)
        self.figures["images_import_s"] = time.monotonic() - start

    def _write_configs(self) -> None:
        host = self.node.host
        (self.node.root / "etc/kubernetes").mkdir(parents=True, exist_ok=True)
        (self.node.root / "etc/kubernetes/kubeadm-init.yaml").write_text(KUBEADM_CONFIG.format(
            address=host.address, name=host.name, version=self.version, pod_cidr=POD_CIDR,
            cgroup_root=self.node.cgroup_root))
        # The controller manager gives the first node 10.244.0.0/24; the bridge plugin serves it.
        conf = json.loads(json.dumps(BRIDGE_CNI).replace("{subnet}", "10.244.0.0/24"))
        (self.node.root / "etc/cni/net.d").mkdir(parents=True, exist_ok=True)
        (self.node.root / "etc/cni/net.d/10-cf-bridge.conflist").write_text(json.dumps(conf, indent=2))

    def kubectl(self, *args: str) -> subprocess.CompletedProcess:
        """kubectl from this machine against the API server on the test bridge, as an admin."""
        return subprocess.run([self.dirs["kube-node"] / "kubectl", "--kubeconfig",
                               self.node.root / "etc/kubernetes/admin.conf", "--request-timeout=10s", *args],
                              capture_output=True, text=True)

    def close(self) -> list[str]:
        """Tear everything down; what differs on this machine from before (empty: nothing)."""
        if self.closed:
            return []
        self.closed = True
        node = getattr(self, "node", None)
        if node is not None:
            ns = node._mount_ns()
            node.close()
            self.node_processes = node.processes() | _in_mount_ns(ns)
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
    c = Cluster()
    yield c
    c.close()


def test_kubeadm_init_builds_a_control_plane(cluster):
    start = time.monotonic()
    result = cluster.node.exec("kubeadm", "init", "--config", "/etc/kubernetes/kubeadm-init.yaml", check=False)
    cluster.figures["kubeadm_init_s"] = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert [n["metadata"]["name"] for n in nodes] == [cluster.node.name]
    assert nodes[0]["status"]["nodeInfo"]["kubeletVersion"] == cluster.version
    assert nodes[0]["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://v2.")


def _ready(cluster) -> bool:
    out = cluster.kubectl("get", "node", cluster.node.name, "-o", "json")
    if out.returncode:
        return False
    conditions = json.loads(out.stdout)["status"]["conditions"]
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def test_the_node_becomes_ready_with_the_bridge_cni(cluster):
    start = time.monotonic()
    deadline = start + 180
    while time.monotonic() < deadline and not _ready(cluster):
        time.sleep(2)
    cluster.figures["ready_after_init_s"] = time.monotonic() - start
    assert _ready(cluster), cluster.kubectl("describe", "node", cluster.node.name).stdout[-3000:]


def test_control_plane_kube_proxy_and_coredns_run(cluster):
    wanted = ("etcd-", "kube-apiserver-", "kube-controller-manager-", "kube-scheduler-", "kube-proxy-", "coredns-")
    deadline = time.monotonic() + 180
    phases: dict[str, str] = {}
    while time.monotonic() < deadline:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", "kube-system", "-o", "json").stdout or '{"items": []}')
        phases = {p["metadata"]["name"]: p["status"].get("phase", "") for p in pods["items"]}
        if all(any(n.startswith(w) and ph == "Running" for n, ph in phases.items()) for w in wanted):
            break
        time.sleep(3)
    for prefix in wanted:
        assert any(n.startswith(prefix) and ph == "Running" for n, ph in phases.items()), (prefix, phases)
    health = cluster.kubectl("get", "--raw", "/readyz")
    assert health.stdout.strip() == "ok"


def test_teardown_leaves_the_machine_as_it_was(cluster):
    node = cluster.node
    cgroup_root = node.cgroup_root
    differences = cluster.close()
    print("figures:", json.dumps({k: round(v, 1) for k, v in cluster.figures.items()}))
    assert differences == []
    assert cluster.node_processes == set()
    assert not [h for h in Path("/sys/fs/cgroup").iterdir() if (h / cgroup_root).exists()]
