"""Retiring hosts on four test hosts (cp-1, cp-2, wk-1, wk-2), against TEST DOUBLES of kubeadm
and kubectl (tests/kubeadm/doubles/) that record their calls: with cp-2 and wk-2 listed in
hosts.retire, the graph's remove-node phase drains and deletes them, drops cp-2's etcd member
and resets both; the other phases no longer touch them; a re-run changes nothing."""
from __future__ import annotations

import json

import pytest

from components.provisioning.runner import run_playbook
from tests.kubeadm.cluster import cluster_inputs, install_doubles, recorded_calls

ROLES = {"cp-1": "control-plane", "cp-2": "control-plane", "wk-1": "worker", "wk-2": "worker"}
RETIRE = ("cp-2", "wk-2")
VERSION = "1.36.2"
MEMBERS = [{"ID": 0x1A2B, "name": "cp-1"}, {"ID": 0x3C4D, "name": "cp-2"}]


def run(bed, inputs, phase):
    inventory, variables = inputs
    return run_playbook(phase, inventory, variables, ssh_key=bed.private_key, progress=None)


@pytest.fixture(scope="module")
def cluster(testbed_factory):
    """A running cluster of all four (init and joins through the real phases), then the
    inputs the graph builds once cp-2 and wk-2 are listed in hosts.retire."""
    bed = testbed_factory(len(ROLES), names=list(ROLES))
    install_doubles(bed)
    everyone = cluster_inputs(bed, ROLES, VERSION)
    for phase in ("control-plane", "join"):
        result = run(bed, everyone, phase)
        assert result.ok, (phase, result.summary()["failures"])
    (bed.host("cp-1").root / "var/lib/fake-kube/etcd-members.json").write_text(json.dumps(MEMBERS))
    return bed, everyone, cluster_inputs(bed, ROLES, VERSION, retire=RETIRE)


def test_an_empty_retire_list_contacts_no_host(cluster):
    bed, everyone, _ = cluster
    before = len(recorded_calls(bed, ROLES))
    result = run(bed, everyone, "remove-node")
    assert result.ok and result.changed == 0, result.summary()
    assert not [e for e in result.events if e.get("event") == "runner_on_ok"]
    assert len(recorded_calls(bed, ROLES)) == before


def test_retiring_hosts_are_drained_deleted_dropped_from_etcd_and_reset(cluster):
    bed, _, retiring = cluster
    result = run(bed, retiring, "remove-node")
    assert result.ok, result.summary()["failures"]
    kubectl = [c["args"][2:] for c in recorded_calls(bed, ["cp-1"], "kubectl")]
    for name in RETIRE:
        drain = kubectl.index(next(a for a in kubectl if a[:2] == ["drain", name]))
        delete = kubectl.index(["delete", "node", name, "--ignore-not-found"])
        assert drain < delete
    removals = [a[-3:] for a in kubectl if "remove" in a]
    assert removals == [["member", "remove", "%x" % 0x3C4D]]  # cp-2's member only; wk-2 has none
    members = json.loads((bed.host("cp-1").root / "var/lib/fake-kube/etcd-members.json").read_text())
    assert [m["name"] for m in members] == ["cp-1"]
    for name in RETIRE:
        resets = [c["args"][:2] for c in recorded_calls(bed, [name], "kubeadm") if c["args"][0] == "reset"]
        assert resets == [["reset", "--force"]]
        assert not list((bed.host(name).root / "etc/kubernetes").glob("*.conf"))
    assert not [c for c in recorded_calls(bed, ["cp-1", "wk-1"], "kubeadm") if c["args"][0] == "reset"]


def test_the_staying_phases_leave_retired_hosts_alone(cluster):
    """Without the retiring group split off, join would take the reset hosts back in."""
    bed, _, retiring = cluster
    before = {name: len(recorded_calls(bed, [name])) for name in RETIRE}
    for phase in ("control-plane", "join"):
        result = run(bed, retiring, phase)
        assert result.ok and result.changed == 0, (phase, result.summary())
        assert not {e["event_data"].get("host") for e in result.events} & set(RETIRE)
    assert {name: len(recorded_calls(bed, [name])) for name in RETIRE} == before


def test_a_second_removal_changes_nothing(cluster):
    bed, _, retiring = cluster
    result = run(bed, retiring, "remove-node")
    assert result.ok and result.changed == 0, result.summary()
    assert len([c for c in recorded_calls(bed, RETIRE, "kubeadm") if c["args"][0] == "reset"]) == len(RETIRE)  # no new reset
