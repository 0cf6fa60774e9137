"""Three real control planes: `kubeadm init --upload-certs` on the first, control-plane joins of
the other two; checked on the cluster: three Ready control-plane nodes, three etcd members
(etcdctl on the first node against its etcd, with kubeadm's etcd certificates), an API
server answering on each. The endpoint is the
first control plane's address (no VIP here: kube-vip's image is not built on this machine).
"""
from __future__ import annotations

import json
import time

import pytest

from tests.realnode.cluster import assert_machine_as_it_was, started_cluster, wait_ready

ETCDCTL = ["etcdctl", "--endpoints=https://127.0.0.1:2379", "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
           "--cert=/etc/kubernetes/pki/etcd/server.crt", "--key=/etc/kubernetes/pki/etcd/server.key"]


@pytest.fixture(scope="module")
def cluster():
    c = started_cluster(3)
    yield c
    c.close()


def test_three_control_planes_join_and_become_ready(cluster):
    first, *others = cluster.nodes
    result = cluster.init()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for node in others:
        start = time.monotonic()
        result = cluster.join(node, control_plane=True)
        cluster.figures[f"control_plane_join_s_{node.name}"] = time.monotonic() - start
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cluster.figures["ready_s"] = wait_ready(cluster, {n.name for n in cluster.nodes})
    nodes = json.loads(cluster.kubectl("get", "nodes", "-l", "node-role.kubernetes.io/control-plane",
                                       "-o", "json").stdout)["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == sorted(n.name for n in cluster.nodes)


def _etcd_members(cluster, count: int) -> list[dict]:
    """etcd's member list, asked of the first control plane's etcd (waits for `count` named members)."""
    deadline = time.monotonic() + 120
    members: list[dict] = []
    while time.monotonic() < deadline:
        out = cluster.nodes[0].exec(*ETCDCTL, "member", "list", "-w", "json", check=False)
        if out.returncode == 0:
            members = json.loads(out.stdout).get("members", [])
            if len(members) == count and all(m.get("name") for m in members):
                break
        time.sleep(3)
    return members


def test_etcd_has_three_members_one_per_control_plane(cluster):
    members = _etcd_members(cluster, 3)
    assert sorted(m["name"] for m in members) == sorted(n.name for n in cluster.nodes)
    assert sorted(m["peerURLs"][0] for m in members) == sorted(f"https://{n.host.address}:2380" for n in cluster.nodes)


def test_an_api_server_answers_on_each_control_plane(cluster):
    for node in cluster.nodes:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            out = cluster.kubectl("--server", f"https://{node.host.address}:6443", "get", "--raw", "/readyz")
            if out.stdout.strip() == "ok":
                break
            time.sleep(3)
        assert out.stdout.strip() == "ok", (node.name, out.stderr)


def test_retiring_a_control_plane_removes_its_etcd_member(cluster):
    """Drain, `kubeadm reset` (its etcd member removed), delete the Node: two control planes, two members."""
    names = sorted(cluster.retire(cluster.nodes[2]))
    kept = sorted(n.name for n in cluster.nodes[:2])
    assert sorted(m["name"] for m in _etcd_members(cluster, 2)) == kept
    assert names == kept


def test_teardown_leaves_the_machine_as_it_was(cluster):
    assert_machine_as_it_was(cluster)
