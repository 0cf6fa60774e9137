"""What the stack's last deployment recorded, read back before anything is declared.

The program exports `hosts` (every host the config declared), `retiredHosts` (those the
remove-node phase has taken out) and `vmIds` (Proxmox VM ID per host), all only once
provisioning has finished, so a failed `pulumi up` records nothing. The next run reads
them back through the engine's built-in `pulumi:pulumi:readStackOutputs`, which is what a
StackReference reads: the outputs in the stack's saved checkpoint, i.e. those of the last
completed deployment (a new stack has none). With them the program refuses to drop a host
that was never retired, to give a running VM another ID (that replaces it), or to change a
field the cluster fixed at creation (`fixedAtCreation`: service and pod ranges, cluster
domain, control-plane endpoint, Calico's block size).
"""
from __future__ import annotations

import pulumi

from components.plan.deployed import Deployed, deployed_findings, fixed_at_creation, recorded
from components.plan.stack_plan import StackPlan

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
__all__ = ["Deployed", "READ_STACK_OUTPUTS", "deployed_findings", "read_deployed", "record"]


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
    if deployed is not None and deployed.fixed is None:
        pulumi.log.warn("clusterforge: the last deployment recorded no fields fixed at creation (an older "
                        "clusterforge); this run records them from the config, so keep kubernetes.serviceCidr, "
                        "podCidr, clusterDomain and the control-plane endpoint as the cluster was created")
    return deployed


def record(plan: StackPlan, settled: list[pulumi.Resource],
           deployed: Deployed | None = None) -> dict[str, pulumi.Output]:
    """The stack outputs of `recorded` and `fixedAtCreation`, known only once `settled`
    (provisioning) is done, so a run that fails before (remove-node included) leaves the
    last record in place."""
    done = pulumi.Output.all(*(r.id for r in settled))
    values = {**recorded(plan), "fixedAtCreation": fixed_at_creation(plan, deployed)}
    return {key: done.apply(lambda _, value=value: value) for key, value in values.items()}
