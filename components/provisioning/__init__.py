"""Node provisioning and the kubeadm bootstrap (Ansible through ansible-runner)."""
from __future__ import annotations

import pulumi

from ..access import ClusterAccess
from ..config.model import StackConfig
from ..hosts.outputs import HostsResult


def build_provisioning(cfg: StackConfig, hosts: HostsResult,
                       secrets: dict[str, pulumi.Output[str]], parent: pulumi.Resource) -> ClusterAccess:
    pulumi.log.warn("clusterforge:provisioning: the kubeadm bootstrap is declared but not built yet")
    return ClusterAccess(kubeconfig=pulumi.Output.secret(""), ready=[r for r in hosts.resources])
