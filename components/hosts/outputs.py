"""The Pulumi-side host shape: a HostSpec whose addresses may be known only after apply."""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.plan.hosts.spec import HostSpec, Taint


@dataclass
class HostOutput:
    name: str
    role: str
    ssh_address: pulumi.Input[str]
    internal_address: pulumi.Input[str]
    ssh_user: str
    # Name of the secret config key with the SSH private key (never the key itself).
    ssh_key_secret: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    cpus: int | None = None
    memory_mb: int | None = None
    gpus: int = 0
    # The machine's resource (a VM or an instance), None for an existing machine.
    resource: pulumi.Resource | None = None

    @classmethod
    def from_spec(cls, spec: HostSpec, ssh_key_secret: str, resource: pulumi.Resource | None = None,
                  ssh_address: pulumi.Input[str] | None = None,
                  internal_address: pulumi.Input[str] | None = None) -> "HostOutput":
        """The planned host; addresses default to the planned (static) ones."""
        return cls(name=spec.name, role=spec.role,
                   ssh_address=spec.ssh_address if ssh_address is None else ssh_address,
                   internal_address=spec.internal_address if internal_address is None else internal_address,
                   ssh_user=spec.ssh_user, ssh_key_secret=ssh_key_secret, labels=spec.labels,
                   taints=spec.taints, cpus=spec.cpus, memory_mb=spec.memory_mb, gpus=spec.gpus,
                   resource=resource)


@dataclass
class HostsResult:
    hosts: list[HostOutput]
    # Everything provisioning must wait for (VMs, instances, templates).
    resources: list[pulumi.Resource] = field(default_factory=list)
