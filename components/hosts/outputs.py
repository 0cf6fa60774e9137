"""The Pulumi-side host shape: a HostSpec whose addresses may be known only after apply."""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from .spec import Taint


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


@dataclass
class HostsResult:
    hosts: list[HostOutput]
    # Everything provisioning must wait for (VMs, instances, templates).
    resources: list[pulumi.Resource] = field(default_factory=list)
