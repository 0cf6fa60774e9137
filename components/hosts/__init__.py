"""Hosts: Proxmox VMs, public-cloud VMs and existing machines behind one shape (HostOutput)."""
from __future__ import annotations

import pulumi

from components.config.model import StackConfig
from components.plan.hosts.expand import expand_hosts
from components.hosts.outputs import HostOutput, HostsResult


def existing_hosts(cfg: StackConfig) -> HostsResult:
    """Machines that already exist: their addresses and roles come from config, no resource."""
    key = cfg.hosts.ssh.private_key_secret
    return HostsResult(hosts=[HostOutput.from_spec(p.spec, key) for p in expand_hosts(cfg.hosts)])


def build_hosts(cfg: StackConfig, secrets: dict[str, pulumi.Output[str]],
                parent: pulumi.Resource) -> HostsResult:
    if cfg.hosts.kind == "proxmox":
        from components.hosts.proxmox import build_proxmox_hosts

        return build_proxmox_hosts(cfg, secrets, parent)
    if cfg.hosts.kind == "aws":
        from components.hosts.aws import build_aws_hosts

        return build_aws_hosts(cfg, parent)
    return existing_hosts(cfg)
