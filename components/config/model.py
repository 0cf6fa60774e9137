"""The whole stack config as one typed model, composed of its sections."""
from __future__ import annotations

from pydantic import Field

from components.config.addons import AddonsConfig
from components.config.base import StrictModel
from components.config.cluster import ClusterSection
from components.config.emulation import EmulationConfig
from components.config.hosts import HostsConfig
from components.config.kubernetes import KubernetesConfig
from components.config.provisioning import ProvisioningConfig
from components.config.tenants import Tenant


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
