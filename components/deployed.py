"""What the stack's last deployment recorded, read back before anything is declared.

The program exports `hosts` (every host the config declared), `retiredHosts` (those the
remove-node phase has taken out) and `vmIds` (Proxmox VM ID per host), all only once
provisioning has finished, so a failed `pulumi up` records nothing. The next run reads
them back through the engine's built-in `pulumi:pulumi:readStackOutputs`, which is what a
StackReference reads: the outputs in the stack's saved checkpoint, i.e. those of the last
completed deployment (a new stack has none). With them the program refuses to drop a host
that was never retired, or to give a running VM another ID (that replaces it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.expand import expand_hosts

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass(frozen=True)
class Deployed:
    cluster_name: str | None
    # None: the deployment was made by a version of the program that recorded no hosts.
    hosts: tuple[str, ...] | None
    retired: tuple[str, ...] = ()
    vm_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> "Deployed | None":
        if not outputs:
            return None  # nothing deployed yet
        hosts = outputs.get("hosts")
        return cls(cluster_name=outputs.get("clusterName"),
                   hosts=tuple(hosts) if isinstance(hosts, list) else None,
                   retired=tuple(outputs.get("retiredHosts") or ()),
                   vm_ids={name: int(vm_id) for name, vm_id in (outputs.get("vmIds") or {}).items()})


def _own_stack_name() -> str:
    """This stack as a stack reference names it. A self-managed backend's organization is
    always "organization" and a bare name resolves in the current project there (its
    legacy layout accepts nothing else); the Pulumi Cloud needs the full name."""
    org = pulumi.get_organization()
    if org in (None, "", "organization"):
        return pulumi.get_stack()
    return f"{org}/{pulumi.get_project()}/{pulumi.get_stack()}"


def read_deployed() -> Deployed | None:
    """The last deployment's record, or None (a new stack, or the backend could not say)."""
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": _own_stack_name()})
    except Exception as err:  # noqa: BLE001 - any backend failure: run unchecked, and say so
        pulumi.log.warn(f"clusterforge: the last deployment's outputs could not be read ({err}); "
                        "hosts dropped from the config are not checked in this run")
        return None
    deployed = Deployed.from_outputs((result.value or {}).get("outputs") or {})
    if deployed is not None and deployed.hosts is None:
        pulumi.log.warn("clusterforge: the last deployment recorded no host list (an older clusterforge); "
                        "hosts dropped from the config are checked from the next run on")
    return deployed


def _pool_path(cfg: StackConfig, host: str) -> str:
    for i, pool in enumerate(cfg.hosts.pools):
        if re.fullmatch(rf"{re.escape(pool.name)}-\d+", host):
            return join_path("hosts", "pools", i, "addresses" if pool.addresses is not None else "count")
    return "hosts.pools"


def dropped_host_findings(cfg: StackConfig, deployed: Deployed | None) -> list[Finding]:
    """A host the last deployment had must be retired (remove-node ran) before it leaves the config."""
    if deployed is None or deployed.hosts is None:
        return []
    declared = {plan.spec.name for plan in expand_hosts(cfg.hosts)}
    gone = sorted(set(deployed.hosts) - declared - set(deployed.retired))
    return [Finding(_pool_path(cfg, name),
                    f"{name} is in the cluster (the last deployment has it) but no longer declared, and was "
                    "never retired: dropping it now deletes its machine without draining it",
                    f"declare {name} again and list it in hosts.retire; once `pulumi up` has drained and "
                    "removed it, drop it from both")
            for name in gone]


def sequential_vm_ids(cfg: StackConfig) -> dict[str, int]:
    """VM IDs as clusterforge numbered them before per-pool blocks: one sequence from
    vmIdStart over all hosts in order, an override's ID taking its host's turn."""
    ids, next_id = {}, cfg.hosts.proxmox.vm_id_start
    for plan in expand_hosts(cfg.hosts):
        override = cfg.hosts.overrides.get(plan.spec.name)
        ids[plan.spec.name] = override.vm_id if override and override.vm_id else next_id
        next_id += 1
    return ids


def vm_id_findings(cfg: StackConfig, deployed: Deployed | None) -> list[Finding]:
    """A VM keeps the ID it runs with: a changed vmId replaces (deletes) the VM."""
    if deployed is None or cfg.hosts.kind != "proxmox" or cfg.hosts.proxmox is None:
        return []
    legacy = deployed.hosts is None  # deployed by a clusterforge that recorded nothing
    running = sequential_vm_ids(cfg) if legacy else deployed.vm_ids
    findings = []
    for plan in expand_hosts(cfg.hosts):
        old = running.get(plan.spec.name)
        if old is None or old == plan.vm_id:
            continue
        how = ("was given VM ID {old} by an older clusterforge (one sequence over all pools)" if legacy
               else "runs as VM {old} (the last deployment recorded it)").format(old=old)
        findings.append(Finding(
            join_path("hosts", "overrides", plan.spec.name, "vmId"),
            f"{plan.spec.name} {how}; this config gives it VM ID {plan.vm_id}, "
            "and a changed VM ID replaces (deletes) the VM",
            f"{'if the VM exists, ' if legacy else ''}keep its ID: hosts.overrides.{plan.spec.name}.vmId: {old}"))
    return findings


def deployed_findings(cfg: StackConfig, deployed: Deployed | None) -> list[Finding]:
    """Everything the config may not do to what the last deployment built."""
    return dropped_host_findings(cfg, deployed) + vm_id_findings(cfg, deployed)


def recorded(cfg: StackConfig) -> dict[str, Any]:
    """What a completed deployment of `cfg` records for the next run to check against."""
    plans = expand_hosts(cfg.hosts)
    return {"hosts": sorted(plan.spec.name for plan in plans),
            "retiredHosts": sorted(cfg.hosts.retire),
            "vmIds": {plan.spec.name: plan.vm_id for plan in plans if plan.vm_id is not None}}


def record(cfg: StackConfig, settled: list[pulumi.Resource]) -> dict[str, pulumi.Output]:
    """The stack outputs of `recorded`, known only once `settled` (provisioning) is done, so
    a run that fails before (remove-node included) leaves the last record in place."""
    done = pulumi.Output.all(*(r.id for r in settled))
    return {key: done.apply(lambda _, value=value: value) for key, value in recorded(cfg).items()}
