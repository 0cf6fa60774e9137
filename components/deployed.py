"""What the stack's last deployment recorded, read back before anything is declared.

The program exports `hosts` (every host the config declared) and `retiredHosts` (those the
remove-node phase has taken out), both only once provisioning has finished, so a failed
`pulumi up` records nothing. The next run reads them back through the engine's built-in
`pulumi:pulumi:readStackOutputs`, which is what a StackReference reads: the outputs in the
stack's saved checkpoint, i.e. those of the last completed deployment (a new stack has
none). With them the program refuses to drop a host that was never retired.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from .config.base import Finding, join_path
from .config.model import StackConfig
from .hosts.expand import expand_hosts

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass(frozen=True)
class Deployed:
    cluster_name: str | None
    # None: the deployment was made by a version of the program that recorded no hosts.
    hosts: tuple[str, ...] | None
    retired: tuple[str, ...] = ()

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> "Deployed | None":
        if not outputs:
            return None  # nothing deployed yet
        hosts = outputs.get("hosts")
        return cls(cluster_name=outputs.get("clusterName"),
                   hosts=tuple(hosts) if isinstance(hosts, list) else None,
                   retired=tuple(outputs.get("retiredHosts") or ()))


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


def recorded(cfg: StackConfig) -> dict[str, list[str]]:
    """What a completed deployment of `cfg` records for the next run to check against."""
    return {"hosts": sorted(plan.spec.name for plan in expand_hosts(cfg.hosts)),
            "retiredHosts": sorted(cfg.hosts.retire)}


def record(cfg: StackConfig, settled: list[pulumi.Resource]) -> dict[str, pulumi.Output]:
    """The stack outputs of `recorded`, known only once `settled` (provisioning) is done, so
    a run that fails before (remove-node included) leaves the last record in place."""
    done = pulumi.Output.all(*(r.id for r in settled))
    return {key: done.apply(lambda _, value=value: value) for key, value in recorded(cfg).items()}
