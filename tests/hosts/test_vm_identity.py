"""Proxmox VM identity and placement: a VM ID block per pool (growth moves no other VM),
tags as Proxmox stores them, and control planes spread so one node's loss keeps quorum."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.mockrun import run_stack
from clusterforge.stackfile import apply_overrides, read_stack
from components.config import ConfigError
from components.plan.load import load_stack_config
from components.config.hosts import HostsConfig
from components.plan.hosts.expand import expand_hosts

VM = "proxmoxve:index/vmLegacy:VmLegacy"


def proxmox(pools: list[dict], nodes: list[str], **px) -> HostsConfig:
    return HostsConfig.model_validate({
        "kind": "proxmox", "network": {"cidr": "10.0.0.0/16", "gateway": "10.0.0.1"},
        "proxmox": {"endpoint": "https://pve:8006/", "nodes": nodes,
                    "template": {"imageUrl": "https://x/y.qcow2"}, **px},
        "pools": pools})


def worker_pools(counts: list[int]) -> list[dict]:
    return [{"name": f"p{i}", "role": "worker", "count": n} for i, n in enumerate(counts)]


def identities(cfg: HostsConfig) -> dict[str, tuple[int, str]]:
    return {p.spec.name: (p.vm_id, p.placement) for p in expand_hosts(cfg)}


@settings(max_examples=80, deadline=None)
@given(counts=st.lists(st.integers(0, 60), min_size=1, max_size=5), data=st.data())
def test_growing_any_pool_moves_no_other_vm(counts, data):
    grow = data.draw(st.integers(0, len(counts) - 1))
    extra = data.draw(st.integers(1, 100 - counts[grow]))
    nodes = ["a", "b", "c"]
    before = identities(proxmox(worker_pools(counts), nodes))
    grown = list(counts)
    grown[grow] += extra
    after = identities(proxmox(worker_pools(grown), nodes))
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {f"p{grow}-{n}" for n in range(counts[grow] + 1, grown[grow] + 1)}
    assert len({vm_id for vm_id, _ in after.values()}) == len(after)


def test_pools_own_blocks_from_vm_id_start_or_their_own_base():
    cfg = proxmox([{"name": "cp", "role": "control-plane", "count": 2},
                   {"name": "w", "role": "worker", "count": 2},
                   {"name": "gpu", "role": "worker", "count": 1, "vmIdBase": 5000}],
                  ["a"], vmIdStart=300, vmIdsPerPool=50)
    assert {name: vm_id for name, (vm_id, _) in identities(cfg).items()} == {
        "cp-1": 300, "cp-2": 301, "w-1": 350, "w-2": 351, "gpu-1": 5000}


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


@pytest.mark.parametrize("pool, count", [(0, 5), (1, 4)], ids=["control-planes", "workers"])
def test_growing_each_homelab_pool_leaves_every_other_vm_unchanged(homelab, pool, count):
    grown = run_stack("homelab", {f"hosts.pools[{pool}].count": count})
    before = {r.urn: r.inputs for r in homelab.of_type(VM)}
    after = {r.urn: r.inputs for r in grown.of_type(VM)}
    assert set(before) <= set(after)
    assert len(after) - len(before) == count - 3
    for urn, inputs in before.items():
        assert after[urn] == inputs, urn


def _findings(overrides: dict) -> list[str]:
    stack = apply_overrides(read_stack("homelab"), overrides)
    try:
        load_stack_config(stack.namespaced())
    except ConfigError as err:
        return [str(f) for f in err.findings]
    return []


def test_overlapping_blocks_full_blocks_and_shared_ids_are_refused():
    overlap = _findings({"hosts.pools[1].vmIdBase": 250})
    assert any(f.startswith("clusterforge:hosts.pools[1].vmIdBase: the VM ID block of pool worker (250..349) "
                            "overlaps pool cp (201..300)") for f in overlap), overlap
    # A VM may be pinned inside another pool's block (it keeps the ID an older clusterforge
    # gave it); that pool's growth into it is then refused, never shifted.
    assert _findings({"hosts.overrides.worker-3.vmId": 204}) == []
    grown = _findings({"hosts.overrides.worker-3.vmId": 204, "hosts.pools[0].count": 5})
    assert any(f.startswith("clusterforge:hosts.overrides.worker-3.vmId: VM ID 204 of worker-3 is already "
                            "used by cp-4") for f in grown), grown
    too_many = _findings({"hosts.pools[1].count": 101, "hosts.pools[1].firstAddress": "192.168.10.100",
                          "hosts.network.cidr": "192.168.0.0/16"})
    assert any("clusterforge:hosts.pools[1].count: 101 hosts do not fit the pool's block of 100" in f
               for f in too_many), too_many


def test_template_and_clone_tags_are_sorted_once_each():
    for name in ("zeta", "worker", "clusterforge"):
        rec = run_stack("homelab", {"cluster.name": name})
        for vm in rec.of_type(VM):
            tags = vm.inputs["tags"]
            assert tags == sorted(set(tags)), (name, vm.name, tags)
            assert name in tags and "clusterforge" in tags


def test_homelab_spreads_its_control_planes_one_per_proxmox_node(homelab):
    nodes = {vm.name: vm.inputs["nodeName"] for vm in homelab.of_type(VM) if vm.name.startswith("cp-")}
    assert sorted(nodes.values()) == ["pve1", "pve2", "pve3"]


def test_a_placement_that_loses_quorum_with_one_node_is_refused():
    two_nodes = _findings({"hosts.proxmox.nodes": ["pve1", "pve2"]})
    assert any(f.startswith("clusterforge:hosts.proxmox.nodes: Proxmox node pve1 runs 2 of the 3 etcd members "
                            "(cp-1, cp-3); losing that node loses etcd quorum") for f in two_nodes), two_nodes
    moved = _findings({"hosts.overrides.cp-2": {"placement": "pve3"}})
    assert any("Proxmox node pve3 runs 2 of the 3 etcd members (cp-2, cp-3)" in f for f in moved), moved
    five = _findings({"hosts.pools[0].count": 5})
    assert five == []  # 2 + 2 + 1: any one node's loss leaves 3 of 5


def test_an_accepted_risky_placement_is_warned_about_with_the_reason():
    overrides = {"hosts.proxmox.nodes": ["pve1", "pve2"], "hosts.proxmox.requireQuorumOnNodeLoss": False}
    assert _findings(overrides) == []
    warnings = [m for level, m in run_stack("homelab", overrides).logs if level == "warning"]
    assert any(m.startswith("clusterforge:hosts.proxmox.requireQuorumOnNodeLoss is false: Proxmox node pve1 "
                            "runs 2 of the 3 etcd members") for m in warnings), warnings


@settings(max_examples=80, deadline=None)
@given(members=st.sampled_from([1, 3, 5, 7]), nodes=st.integers(1, 6))
def test_default_placement_spreads_control_planes_and_the_rule_matches_quorum(members, nodes):
    names = [f"n{i}" for i in range(nodes)]
    cfg = proxmox([{"name": "cp", "role": "control-plane", "count": members, "firstAddress": "10.0.0.10"}], names)
    per_node = Counter(placement for _, placement in identities(cfg).values())
    assert max(per_node.values()) - min(per_node.get(n, 0) for n in names[:members]) <= 1  # round-robin
    if nodes >= members:
        assert max(per_node.values()) == 1
    from components.config.model import StackConfig
    from components.plan.hosts.expand import expand_hosts
    from components.plan.rules.proxmox import quorum_placement_risk
    stack = StackConfig.model_validate({"cluster": {"name": "t"}, "kubernetes": {"version": "1.36.2"},
                                        "hosts": cfg.model_dump(by_alias=True, exclude_none=True)})
    survives = all(members - held >= members // 2 + 1 for held in per_node.values())
    assert (quorum_placement_risk(stack, expand_hosts(stack)) is None) == (members < 3 or survives)
