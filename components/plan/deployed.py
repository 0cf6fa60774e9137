"""What the last deployment recorded, and the rules that protect what it built (pure).

A host leaves the config only after it was retired (remove-node drained it), and a
running VM keeps its VM ID (a changed ID replaces the VM). components/deployed.py reads
the record back from the engine and writes the next one. Fields the cluster fixed at
creation keep their recorded values (fixed_fields.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.fixed_fields import fixed_field_findings, fixed_values
from components.plan.stack_plan import StackPlan


@dataclass(frozen=True)
class Deployed:
    cluster_name: str | None
    # None: the deployment was made by a version of the program that recorded no hosts.
    hosts: tuple[str, ...] | None
    retired: tuple[str, ...] = ()
    vm_ids: dict[str, int] = field(default_factory=dict)
    # config path -> the value the cluster was created with; None: not recorded (an older clusterforge).
    fixed: dict[str, str] | None = None

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> "Deployed | None":
        if not outputs:
            return None  # nothing deployed yet
        hosts = outputs.get("hosts")
        return cls(cluster_name=outputs.get("clusterName"),
                   hosts=tuple(hosts) if isinstance(hosts, list) else None,
                   retired=tuple(outputs.get("retiredHosts") or ()),
                   vm_ids={name: int(vm_id) for name, vm_id in (outputs.get("vmIds") or {}).items()},
                   fixed=({str(k): str(v) for k, v in outputs["fixedAtCreation"].items()}
                          if isinstance(outputs.get("fixedAtCreation"), dict) else None))


def _pool_path(cfg: StackConfig, host: str) -> str:
    for i, pool in enumerate(cfg.hosts.pools):
        if re.fullmatch(rf"{re.escape(pool.name)}-\d+", host):
            return join_path("hosts", "pools", i, "addresses" if pool.addresses is not None else "count")
    return "hosts.pools"


def dropped_host_findings(plan: StackPlan, deployed: Deployed | None) -> list[Finding]:
    """A host the last deployment had must be retired (remove-node ran) before it leaves the config."""
    cfg = plan.config
    if deployed is None or deployed.hosts is None:
        return []
    declared = {host.spec.name for host in plan.host_plans}
    gone = sorted(set(deployed.hosts) - declared - set(deployed.retired))
    return [Finding(_pool_path(cfg, name),
                    f"{name} is in the cluster (the last deployment has it) but no longer declared, and was "
                    "never retired: dropping it now deletes its machine without draining it",
                    f"declare {name} again and list it in hosts.retire; once `pulumi up` has drained and "
                    "removed it, drop it from both")
            for name in gone]


def sequential_vm_ids(plan: StackPlan) -> dict[str, int]:
    """VM IDs as clusterforge numbered them before per-pool blocks: one sequence from
    vmIdStart over all hosts in order, an override's ID taking its host's turn."""
    hosts = plan.config.hosts
    ids, next_id = {}, hosts.proxmox.vm_id_start
    for host in plan.host_plans:
        override = hosts.overrides.get(host.spec.name)
        ids[host.spec.name] = override.vm_id if override and override.vm_id else next_id
        next_id += 1
    return ids


def vm_id_findings(plan: StackPlan, deployed: Deployed | None) -> list[Finding]:
    """A VM keeps the ID it runs with: a changed vmId replaces (deletes) the VM."""
    cfg = plan.config
    if deployed is None or cfg.hosts.kind != "proxmox" or cfg.hosts.proxmox is None:
        return []
    legacy = deployed.hosts is None  # deployed by a clusterforge that recorded nothing
    running = sequential_vm_ids(plan) if legacy else deployed.vm_ids
    findings = []
    for host in plan.host_plans:
        old = running.get(host.spec.name)
        if old is None or old == host.vm_id:
            continue
        how = ("was given VM ID {old} by an older clusterforge (one sequence over all pools)" if legacy
               else "runs as VM {old} (the last deployment recorded it)").format(old=old)
        findings.append(Finding(
            join_path("hosts", "overrides", host.spec.name, "vmId"),
            f"{host.spec.name} {how}; this config gives it VM ID {host.vm_id}, "
            "and a changed VM ID replaces (deletes) the VM",
            f"{'if the VM exists, ' if legacy else ''}keep its ID: hosts.overrides.{host.spec.name}.vmId: {old}"))
    return findings


def deployed_findings(plan: StackPlan, deployed: Deployed | None) -> list[Finding]:
    """Everything the config may not do to what the last deployment built."""
    fixed = fixed_field_findings(plan.config, deployed.fixed) if deployed is not None else []
    return dropped_host_findings(plan, deployed) + vm_id_findings(plan, deployed) + fixed


def fixed_at_creation(plan: StackPlan, deployed: Deployed | None) -> dict[str, str]:
    """What the next run checks fields fixed at creation against: the recorded values while
    they are recorded (a run that got this far changed none), else this config's."""
    if deployed is not None and deployed.fixed:
        return {**fixed_values(plan.config), **deployed.fixed}
    return fixed_values(plan.config)


def recorded(plan: StackPlan) -> dict[str, Any]:
    """What a completed deployment of the plan records for the next run to check against."""
    hosts = plan.host_plans
    return {"hosts": sorted(host.spec.name for host in hosts),
            "retiredHosts": sorted(plan.config.hosts.retire),
            "vmIds": {host.spec.name: host.vm_id for host in hosts if host.vm_id is not None}}
