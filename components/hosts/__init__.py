"""Hosts: Proxmox VMs, public-cloud VMs and existing machines behind one shape (HostOutput)."""
from __future__ import annotations

import pulumi

from ..config.model import StackConfig
from .expand import expand_hosts
from .outputs import HostOutput, HostsResult


def existing_hosts(cfg: StackConfig) -> HostsResult:
    """Machines that already exist: their addresses and roles come from config, no resource."""
    return HostsResult(hosts=[
        HostOutput(name=p.spec.name, role=p.spec.role, ssh_address=p.spec.ssh_address,
                   internal_address=p.spec.internal_address, ssh_user=p.spec.ssh_user,
                   ssh_key_secret=cfg.hosts.ssh.private_key_secret, labels=p.spec.labels,
                   taints=p.spec.taints, cpus=p.spec.cpus, memory_mb=p.spec.memory_mb,
                   gpus=p.spec.gpus)
        for p in expand_hosts(cfg.hosts)
    ])


def build_hosts(cfg: StackConfig, secrets: dict[str, pulumi.Output[str]],
                parent: pulumi.Resource) -> HostsResult:
    if cfg.hosts.kind == "proxmox":
        from .proxmox import build_proxmox_hosts

        return build_proxmox_hosts(cfg, secrets, parent)
    if cfg.hosts.kind == "aws":
        from .aws import build_aws_hosts

        return build_aws_hosts(cfg, parent)
    return existing_hosts(cfg)
