"""Provisioning touches only what changed, proven on 10 test hosts: a running 9-node cluster
(cp-1..3, worker-1..6) built by replaying the program's work plan (tests/kubeadm/apply.py),
then one `pulumi up` per edit. Which hosts each change reached is read from the test hosts'
sshd logs; what reached the API is what the kubectl TEST DOUBLE on cp-1 recorded."""
from __future__ import annotations

import json

import pytest

from tests.kubeadm.apply import apply, contacted_since, logins, plan_for, testbed_config
from tests.kubeadm.cluster import DOUBLES, recorded_calls

CONTROL_PLANES = ["cp-1", "cp-2", "cp-3"]
WORKERS = [f"worker-{i}" for i in range(1, 7)]
NEW = "worker-7"
FILES = {tool: {f"/usr/bin/{tool}": (DOUBLES / f"fake_{tool}.py").read_text()}
         for tool in ("kubeadm", "kubectl", "kubelet")}


@pytest.fixture(scope="module")
def cluster(testbed_factory):
    bed = testbed_factory(10, names=[*CONTROL_PLANES, *WORKERS, NEW], kube_files=FILES)
    applied: dict[str, list[str]] = {}
    first = apply(bed, plan_for(testbed_config(bed, CONTROL_PLANES, WORKERS)), applied)
    assert {f"prepare-{n}" for n in [*CONTROL_PLANES, *WORKERS]} <= set(first)
    return bed, applied


def node(bed, name):
    """The Node object as the kubectl double on cp-1 keeps it."""
    state = bed.host("cp-1").root / "var/lib/fake-kube"
    labels = json.loads((state / f"labels-{name}.json").read_text()) if (state / f"labels-{name}.json").exists() else {}
    rest = json.loads((state / f"node-{name}.json").read_text()) if (state / f"node-{name}.json").exists() else {}
    return labels, rest.get("taints", [])


def up(cluster, workers=WORKERS, **overrides):
    bed, applied = cluster
    before = logins(bed)
    ran = apply(bed, plan_for(testbed_config(bed, CONTROL_PLANES, workers, overrides)), applied)
    return sorted(ran), contacted_since(bed, before)


def test_an_unchanged_rerun_runs_nothing_and_contacts_no_host(cluster):
    assert up(cluster) == ([], [])


def test_adding_one_worker_contacts_only_it_and_the_first_control_plane(cluster):
    bed, _ = cluster
    ran, contacted = up(cluster, workers=[*WORKERS, NEW])
    assert ran == ["join-worker-7", "node-config", "prepare-worker-7"]
    assert contacted == ["cp-1", NEW]
    assert [c["host"] for c in recorded_calls(bed, [NEW], "kubeadm") if c["args"][0] == "join"] == [NEW]
    assert up(cluster, workers=[*WORKERS, NEW]) == ([], [])


def test_a_label_change_reaches_the_node_objects_and_touches_nothing_else(cluster):
    bed, _ = cluster
    hosts = [*WORKERS, NEW]
    calls_before = len(recorded_calls(bed, [*CONTROL_PLANES, *hosts]))
    ran, contacted = up(cluster, workers=hosts, **{"hosts.pools[1].labels": {"tier": "web"}})
    assert (ran, contacted) == (["node-config"], ["cp-1"])
    assert all(node(bed, name)[0].get("tier") == "web" for name in hosts)
    new_calls = recorded_calls(bed, [*CONTROL_PLANES, *hosts])[calls_before:]
    assert {c["host"] for c in new_calls} == {"cp-1"} and {c["tool"] for c in new_calls} == {"kubectl"}
    # a taint added, the label dropped: both reach the Nodes, the label is removed
    taint = {"key": "dedicated", "value": "web", "effect": "NoSchedule"}
    ran, contacted = up(cluster, workers=hosts, **{"hosts.pools[1].taints": [taint]})
    assert (ran, contacted) == (["node-config"], ["cp-1"])
    for name in hosts:
        labels, taints = node(bed, name)
        assert "tier" not in labels and taints == [taint]
    removals = [c["args"] for c in recorded_calls(bed, ["cp-1"], "kubectl") if "tier-" in c["args"]]
    assert len(removals) == len(hosts)
    # the taint dropped too: removed from the Nodes, again through cp-1 alone
    assert up(cluster, workers=hosts) == (["node-config"], ["cp-1"])
    assert all(node(bed, name)[1] == [] for name in hosts)
    # the control planes keep what kubeadm gave them: node-config never set or removed anything there
    assert all(node(bed, name) == ({}, []) for name in CONTROL_PLANES)


def test_a_cert_sans_change_reissues_the_api_server_certificates_one_control_plane_at_a_time(cluster):
    bed, _ = cluster
    calls_before = {n: len(recorded_calls(bed, [n])) for n in CONTROL_PLANES}
    sans = ["k8s-api.dc1.example.internal", "api.example.test"]
    ran, contacted = up(cluster, workers=[*WORKERS, NEW], **{"kubernetes.certSans": sans})
    # init is skipped on a running cluster (it only rewrites its config file)
    assert ran == ["cert-sans", "control-plane"] and contacted == CONTROL_PLANES
    issued = [c for c in recorded_calls(bed, CONTROL_PLANES, "kubeadm") if c["args"][:4] == ["init", "phase", "certs", "apiserver"]]
    assert [c["host"] for c in issued] == CONTROL_PLANES          # in order, one each
    for name in CONTROL_PLANES:
        certificate = json.loads((bed.host(name).root / "etc/kubernetes/pki/apiserver.crt").read_text())
        assert "api.example.test" in certificate["sans"]
        assert (bed.host(name).root / "etc/kubernetes/manifests/kube-apiserver.yaml").exists()   # restarted
        new = recorded_calls(bed, [name])[calls_before[name]:]
        assert not [c for c in new if c["args"][0] in ("join", "reset", "upgrade")]
    # one at a time: each control plane's certificate is issued after the previous one's restart
    times = [c["t"] for c in issued]
    assert times == sorted(times)
    uploads = [c for c in recorded_calls(bed, ["cp-1"], "kubeadm") if c["args"][:3] == ["init", "phase", "upload-config"]]
    assert len(uploads) == 1 and "api.example.test" in uploads[0]["config"]
    assert up(cluster, workers=[*WORKERS, NEW], **{"kubernetes.certSans": sans}) == ([], [])
