"""Hosts: Proxmox VMs, public-cloud VMs and existing machines behind one shape (HostOutput)."""
from __future__ import annotations

import pulumi

from components.hosts.outputs import HostOutput, HostsResult
from components.plan.stack_plan import StackPlan


def existing_hosts(stack_plan: StackPlan) -> HostsResult:
    """Machines that already exist: their addresses and roles come from config, no resource."""
    key = stack_plan.config.hosts.ssh.private_key_secret
    return HostsResult(hosts=[HostOutput.from_spec(p.spec, key) for p in stack_plan.host_plans])


def build_hosts(stack_plan: StackPlan, secrets: dict[str, pulumi.Output[str]],
                parent: pulumi.Resource) -> HostsResult:
    kind = stack_plan.config.hosts.kind
    if kind == "proxmox":
        from components.hosts.proxmox import build_proxmox_hosts

        return build_proxmox_hosts(stack_plan, secrets, parent)
    if kind == "aws":
        from components.hosts.aws import build_aws_hosts

        return build_aws_hosts(stack_plan, parent)
    return existing_hosts(stack_plan)
