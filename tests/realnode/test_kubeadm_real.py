"""A real `kubeadm init` and `kubeadm join` on test hosts made nodes: real kubelet, containerd, runc, images
built here; checked with kubectl against the API server; the machine checked unchanged after.

Needs root and the node artifacts (scripts/toolchain.sh kube-node containerd runc cni-plugins
node-images); without them it skips (fails under CI).
"""
from __future__ import annotations

import json
import time

import pytest

from tests.realnode.cluster import assert_machine_as_it_was, started_cluster, wait_ready


@pytest.fixture(scope="module")
def cluster():
    c = started_cluster(2)
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


def test_the_control_plane_becomes_ready_with_the_bridge_cni(cluster):
    cluster.figures["ready_after_init_s"] = wait_ready(cluster, {cluster.control_plane.name})


def test_a_worker_joins_and_becomes_ready(cluster):
    worker = cluster.nodes[1]
    start = time.monotonic()
    result = cluster.join(worker)
    cluster.figures["kubeadm_join_s"] = time.monotonic() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cluster.figures["ready_after_join_s"] = wait_ready(cluster, {n.name for n in cluster.nodes})
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


def test_retiring_the_worker(cluster):
    """Drain, `kubeadm reset` on the node, delete the Node: the cluster keeps only the control plane."""
    worker = cluster.nodes[1]
    assert cluster.retire(worker) == [cluster.control_plane.name]
    assert not (worker.root / "etc/kubernetes/kubelet.conf").exists()


def test_teardown_leaves_the_machine_as_it_was(cluster):
    assert_machine_as_it_was(cluster)
