"""The whole stack config as one typed model, composed of its sections."""
from __future__ import annotations

from pydantic import Field

from .addons import AddonsConfig
from .base import StrictModel
from .cluster import ClusterSection
from .emulation import EmulationConfig
from .hosts import HostsConfig
from .kubernetes import KubernetesConfig
from .provisioning import ProvisioningConfig
from .tenants import Tenant


class StackConfig(StrictModel):
    """Everything under the `clusterforge:` namespace except secrets."""

    cluster: ClusterSection
    kubernetes: KubernetesConfig
    hosts: HostsConfig
    provisioning: ProvisioningConfig = Field(default_factory=ProvisioningConfig)
    addons: AddonsConfig = Field(default_factory=AddonsConfig)
    emulation: EmulationConfig | None = None
    tenants: list[Tenant] = []

    @property
    def uses_kubeadm(self) -> bool:
        """kubeadm builds the cluster on machines; kind and kwok bring their own control plane."""
        return self.hosts.kind not in ("kind", "kwok")
