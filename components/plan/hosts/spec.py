"""The one host shape every host kind ends in (Proxmox VM, cloud VM, existing machine).

Downstream code (inventory, kubeadm, addons) reads only this, never the host kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("control-plane", "worker")  # etcd is stacked on the control planes


@dataclass(frozen=True)
class Taint:
    key: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute
    value: str = ""


@dataclass(frozen=True)
class HostSpec:
    """A machine as planned from config; addresses may be placeholders until apply."""

    name: str
    role: str
    ssh_address: str
    internal_address: str
    ssh_user: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    cpus: int | None = None
    memory_mb: int | None = None
    gpus: int = 0


# Set on every host with GPUs: the NVIDIA device plugin runs where it is "true".
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"

# Marks a value the cloud assigns at apply time (a DHCP or cloud-assigned address).
KNOWN_AFTER_APPLY = "(known after apply)"
