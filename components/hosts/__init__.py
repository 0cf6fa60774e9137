"""Hosts: Proxmox VMs, public-cloud VMs and existing machines behind one shape."""
from __future__ import annotations

import pulumi

from ..config.model import StackConfig
from .expand import expand_hosts
from .outputs import HostOutput, HostsResult


def _existing(cfg: StackConfig) -> HostsResult:
    hosts = [
        HostOutput(name=p.spec.name, role=p.spec.role, ssh_address=p.spec.ssh_address,
                   internal_address=p.spec.internal_address, ssh_user=p.spec.ssh_user,
                   ssh_key_secret=cfg.hosts.ssh.private_key_secret, labels=p.spec.labels,
                   taints=p.spec.taints, cpus=p.spec.cpus, memory_mb=p.spec.memory_mb,
                   gpus=p.spec.gpus)
        for p in expand_hosts(cfg.hosts)
    ]
    return HostsResult(hosts=hosts)


def build_hosts(cfg: StackConfig, secrets: dict[str, pulumi.Output[str]],
                parent: pulumi.Resource) -> HostsResult:
    if cfg.hosts.kind != "existing":
        pulumi.log.warn(f"clusterforge:hosts.kind: {cfg.hosts.kind} machines are declared but not "
                        "built yet; their planned addresses are used as they are")
    return _existing(cfg)
