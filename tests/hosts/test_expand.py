"""Pools and overrides -> planned hosts (pure), with property tests over random pools."""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.hosts import HostsConfig
from components.plan.hosts.expand import expand_hosts
from components.plan.hosts.spec import KNOWN_AFTER_APPLY


def hosts(**kw) -> HostsConfig:
    base = {"kind": "existing", "network": {"cidr": "10.0.0.0/16"}, "pools": []}
    base.update(kw)
    return HostsConfig.model_validate(base)


def test_names_addresses_and_overrides():
    cfg = hosts(pools=[
        {"name": "cp", "role": "control-plane", "count": 3, "firstAddress": "10.0.0.10",
         "size": {"cores": 4}},
        {"name": "gpu", "role": "worker", "addresses": ["10.0.1.5"], "gpus": 8,
         "labels": {"accel": "h100"}, "taints": [{"key": "gpu", "effect": "NoSchedule"}]},
    ], overrides={"cp-2": {"address": "10.0.0.99", "size": {"memoryMb": 65536}, "labels": {"x": "y"}}})
    plans = expand_hosts(cfg)
    assert [p.spec.name for p in plans] == ["cp-1", "cp-2", "cp-3", "gpu-1"]
    assert [p.spec.ssh_address for p in plans] == ["10.0.0.10", "10.0.0.99", "10.0.0.12", "10.0.1.5"]
    cp2 = plans[1]
    assert (cp2.size.cores, cp2.size.memory_mb, cp2.spec.labels) == (4, 65536, {"x": "y"})
    gpu = plans[3].spec
    assert (gpu.gpus, gpu.labels, gpu.taints[0].key, gpu.role) == (
        8, {"accel": "h100", "nvidia.com/gpu.present": "true"}, "gpu", "worker")   # GPU hosts are labelled


def test_cloud_hosts_have_addresses_known_after_apply():
    cfg = HostsConfig.model_validate({
        "kind": "aws", "network": {"cidr": "10.60.0.0/16"},
        "aws": {"region": "eu-central-1", "ami": "ami-0123456789abcdef0", "sshSources": ["203.0.113.0/24"],
                "instanceType": "m7i.large"},
        "pools": [{"name": "w", "role": "worker", "count": 2},
                  {"name": "g", "role": "worker", "count": 1, "instanceType": "g6.xlarge"}]})
    plans = expand_hosts(cfg)
    assert {p.spec.ssh_address for p in plans} == {KNOWN_AFTER_APPLY}
    assert [p.instance_type for p in plans] == ["m7i.large", "m7i.large", "g6.xlarge"]


def test_proxmox_placement_round_robin_and_vm_ids():
    cfg = HostsConfig.model_validate({
        "kind": "proxmox", "network": {"cidr": "192.168.1.0/24", "gateway": "192.168.1.1"},
        "proxmox": {"endpoint": "https://pve:8006/", "nodes": ["a", "b", "c"],
                    "template": {"imageUrl": "https://x/y.qcow2"}, "vmIdStart": 500},
        "pools": [{"name": "n", "role": "worker", "count": 4, "firstAddress": "192.168.1.10"},
                  {"name": "p", "role": "worker", "count": 2, "firstAddress": "192.168.1.20",
                   "placement": ["c"]}],
        "overrides": {"n-2": {"placement": "c", "vmId": 900}}})
    plans = expand_hosts(cfg)
    assert [(p.spec.name, p.placement, p.vm_id) for p in plans] == [
        ("n-1", "a", 500), ("n-2", "c", 900), ("n-3", "c", 502), ("n-4", "a", 503),
        ("p-1", "c", 600), ("p-2", "c", 601)]


pools = st.lists(
    st.tuples(st.sampled_from(["control-plane", "worker", "etcd"]), st.integers(0, 20)),
    min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(pools=pools, start=st.integers(1, 200))
def test_planned_hosts_are_unique_and_match_counts(pools, start):
    network = IPv4Network("10.20.0.0/16")
    spec = []
    next_address = network.network_address + start
    for i, (role, count) in enumerate(pools):
        spec.append({"name": f"pool{i}", "role": role, "count": count, "firstAddress": str(next_address)})
        next_address += count
    plans = expand_hosts(hosts(network={"cidr": str(network)}, pools=spec))
    assert len(plans) == sum(count for _, count in pools)
    assert len({p.spec.name for p in plans}) == len(plans)
    assert len({p.address for p in plans}) == len(plans)
    assert all(IPv4Address(p.spec.ssh_address) in network for p in plans)
    for i, (role, count) in enumerate(pools):
        mine = [p for p in plans if p.pool == f"pool{i}"]
        assert [p.spec.name for p in mine] == [f"pool{i}-{n}" for n in range(1, count + 1)]
        assert {p.spec.role for p in mine} <= {role}
