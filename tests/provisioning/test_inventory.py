"""Layer 1: the inventory built from HostSpecs (pure)."""
from __future__ import annotations

import yaml
from hypothesis import given, strategies as st

from components.plan.hosts.spec import HostSpec, Taint
from components.plan.provisioning.inventory import build_inventory, inventory_hosts

import pytest


def _host(name: str, role: str, i: int = 0, **kw) -> HostSpec:
    return HostSpec(name=name, role=role, ssh_address=f"192.0.2.{i}", internal_address=f"10.0.0.{i}",
                    ssh_user="debian", **kw)


def test_groups_and_host_vars():
    hosts = [_host("w1", "worker", 3, labels={"b": "2", "a": "1"}), _host("cp1", "control-plane", 1,
             taints=(Taint("dedicated", "NoSchedule", "gpu"),))]
    inv = build_inventory(hosts, {"kubernetes_version": "1.36.2"})
    children = inv["all"]["children"]
    assert inv["all"]["vars"] == {"kubernetes_version": "1.36.2"}
    assert children["k8s_cluster"]["children"]["control_plane"]["hosts"]["cp1"] == {
        "ansible_host": "192.0.2.1", "ansible_user": "debian", "internal_address": "10.0.0.1",
        "node_labels": {}, "node_taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}
    assert list(children["k8s_cluster"]["children"]["workers"]["hosts"]["w1"]["node_labels"]) == ["a", "b"]
    # Stacked etcd: the control planes, by name only.
    assert children["etcd"] == {"hosts": {"cp1": None}}


def test_dedicated_etcd_hosts_are_refused_as_etcd_is_stacked():
    # The config refuses role etcd (it was created and counted for quorum but never provisioned).
    with pytest.raises(ValueError, match=r"etcd is stacked on the control planes\): e1 \(etcd\)"):
        build_inventory([_host("cp1", "control-plane", 1), _host("e1", "etcd", 2)], {})


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="repeated: a"):
        build_inventory([_host("a", "worker"), _host("a", "control-plane")], {})


def test_retiring_hosts_form_their_own_group_outside_the_cluster():
    inv = build_inventory([_host("cp1", "control-plane", 1)], {}, retiring=[_host("cp2", "control-plane", 2),
                                                                           _host("w1", "worker", 3)])
    children = inv["all"]["children"]
    assert children["retiring"]["hosts"]["cp2"] == {**inv["all"]["children"]["k8s_cluster"]["children"][
        "control_plane"]["hosts"]["cp1"], "ansible_host": "192.0.2.2", "internal_address": "10.0.0.2",
        "node_role": "control-plane"}
    assert children["retiring"]["hosts"]["w1"]["node_role"] == "worker"
    assert list(children["etcd"]["hosts"]) == ["cp1"]
    assert set(inventory_hosts(inv)) == {"cp1", "cp2", "w1"}
    with pytest.raises(ValueError, match="repeated: cp1"):
        build_inventory([_host("cp1", "control-plane")], {}, retiring=[_host("cp1", "control-plane")])


_names = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=12, unique=True)


@given(_names, st.randoms())
def test_deterministic_and_complete(names, rnd):
    hosts = [_host(n, ["control-plane", "worker"][i % 2], i) for i, n in enumerate(names)]
    shuffled = hosts[:]
    rnd.shuffle(shuffled)
    a, b = build_inventory(hosts, {"x": 1}), build_inventory(shuffled, {"x": 1})
    assert yaml.safe_dump(a) == yaml.safe_dump(b)
    found = inventory_hosts(a)
    assert set(found) == set(names)
    assert all(found[h.name]["ansible_host"] == h.ssh_address for h in hosts)
