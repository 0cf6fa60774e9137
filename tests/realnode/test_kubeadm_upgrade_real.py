"""A real patch upgrade: a control plane and a worker built at the patch release before the
stack's (toolchain's KUBERNETES_PREVIOUS_VERSION), upgraded to KUBERNETES_VERSION the kubeadm
way: `kubeadm upgrade apply` on the control plane, then per node drain, the new kubelet
(restarted by the node's supervisor, as systemd would), uncordon; the worker with `kubeadm
upgrade node`. Checked on the cluster: API server and every kubelet at the new release, the
control plane's static pods on the new images, every node Ready and schedulable.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.realnode.cluster import assert_machine_as_it_was, image_files, started_cluster, tool_dir, wait_ready


@pytest.fixture(scope="module")
def cluster():
    c = started_cluster(2, previous=True)
    yield c
    c.close()


def _nodes(cluster) -> list[dict]:
    out = cluster.kubectl("get", "nodes", "-o", "json")
    return json.loads(out.stdout)["items"] if out.returncode == 0 else []  # the API server may be restarting


def _new_release() -> tuple[str, Path, Path]:
    images = tool_dir("node-images")
    version = next(r.split(":")[1] for r in image_files(images) if "/kube-apiserver:" in r)
    return version, tool_dir("kube-node"), images


def test_the_cluster_starts_at_the_previous_patch(cluster):
    result = cluster.init()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    result = cluster.join(cluster.nodes[1])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wait_ready(cluster, {n.name for n in cluster.nodes})
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in _nodes(cluster)} == {cluster.version}
    assert cluster.version != _new_release()[0]


def _upgrade_kubelet(cluster, node, kube: Path) -> None:
    drain = cluster.kubectl("drain", node.name, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s")
    assert drain.returncode == 0, drain.stderr
    cluster.install(node, {name: kube / name for name in ("kubelet", "kubectl")})
    node.restart_kubelet()
    deadline = time.monotonic() + 120
    versions: list[str] = []
    while time.monotonic() < deadline:
        versions = [n["status"]["nodeInfo"]["kubeletVersion"] for n in _nodes(cluster) if n["metadata"]["name"] == node.name]
        if versions == [_new_release()[0]]:
            break
        time.sleep(2)
    assert versions == [_new_release()[0]], (node.name, versions)
    assert cluster.kubectl("uncordon", node.name).returncode == 0


def test_patch_upgrade_control_plane_then_worker(cluster):
    version, kube, images = _new_release()
    for node in cluster.nodes:  # air-gapped: the new release's images are loaded beforehand
        cluster.import_images(node, images, image_files(images))
    control_plane, worker = cluster.nodes
    start = time.monotonic()
    cluster.install(control_plane, {"kubeadm": kube / "kubeadm"})
    result = control_plane.exec("kubeadm", "upgrade", "apply", version, "--yes",
                                "--ignore-preflight-errors=SystemVerification", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _upgrade_kubelet(cluster, control_plane, kube)
    cluster.figures["control_plane_upgrade_s"] = time.monotonic() - start
    start = time.monotonic()
    cluster.install(worker, {"kubeadm": kube / "kubeadm"})
    result = worker.exec("kubeadm", "upgrade", "node", "--ignore-preflight-errors=SystemVerification", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _upgrade_kubelet(cluster, worker, kube)
    cluster.figures["worker_upgrade_s"] = time.monotonic() - start


def test_the_cluster_runs_the_new_patch(cluster):
    version = _new_release()[0]
    wait_ready(cluster, {n.name for n in cluster.nodes})
    nodes = _nodes(cluster)
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {version}
    assert not any(n["spec"].get("unschedulable") for n in nodes)
    server = json.loads(cluster.kubectl("version", "-o", "json").stdout)["serverVersion"]["gitVersion"]
    assert server == version
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", "kube-system", "-o", "json").stdout)["items"]
        images = {c["image"] for p in pods for c in p["spec"]["containers"]
                  if p["metadata"]["name"].startswith(("kube-apiserver-", "kube-controller-manager-",
                                                       "kube-scheduler-", "kube-proxy-"))}
        if images and all(i.endswith(":" + version) for i in images):
            break
        time.sleep(3)
    assert images and all(i.endswith(":" + version) for i in images), images


def test_teardown_leaves_the_machine_as_it_was(cluster):
    assert_machine_as_it_was(cluster)
