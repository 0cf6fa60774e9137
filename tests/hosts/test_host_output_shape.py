"""Every host kind ends in the same HostOutput shape that provisioning receives."""
from __future__ import annotations

import dataclasses

import pulumi
import pytest

import components.cluster as cluster_module
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import prepare_offline, read_stack
from components.plan.hosts.expand import host_specs
from components.hosts.outputs import HostOutput


@pytest.mark.parametrize("stack,machine_type", [
    ("homelab", "proxmoxve:index/vmLegacy:VmLegacy"),
    ("cloud", "aws:ec2/instance:Instance"),
    ("onprem", None),
])
def test_hosts_reach_provisioning_in_one_shape(stack, machine_type, monkeypatch):
    seen = {}
    real = cluster_module.build_provisioning

    def spy(cfg, hosts, secrets, parent, **options):
        seen["hosts"] = hosts
        return real(cfg, hosts, secrets, parent, **options)

    monkeypatch.setattr(cluster_module, "build_provisioning", spy)
    rec = run_stack(stack)
    cfg, _ = prepare_offline(read_stack(stack))
    planned = host_specs(cfg)
    hosts = seen["hosts"].hosts
    assert [type(h) for h in hosts] == [HostOutput] * len(planned)
    assert [(h.name, h.role, h.ssh_user, h.labels, h.taints, h.gpus) for h in hosts] == \
        [(p.name, p.role, p.ssh_user, p.labels, p.taints, p.gpus) for p in planned]
    assert {f.name for f in dataclasses.fields(HostOutput)} >= {
        "name", "role", "ssh_address", "internal_address", "ssh_user", "ssh_key_secret",
        "labels", "taints", "cpus", "memory_mb", "gpus", "resource"}
    for host in hosts:
        assert host.ssh_key_secret == "sshPrivateKey"  # a reference, never the key
        if machine_type is None:
            assert host.resource is None
        else:
            registered = {r.name for r in rec.of_type(machine_type)}
            assert host.resource is not None and host.name in registered
    if stack == "cloud":  # addresses the cloud assigns stay Outputs
        assert all(isinstance(h.ssh_address, pulumi.Output) for h in hosts)
    else:
        assert [h.ssh_address for h in hosts] == [p.ssh_address for p in planned]
