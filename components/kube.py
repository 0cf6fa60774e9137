"""The one Kubernetes provider every addon and emulated node group shares."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config.model import StackConfig


def cluster_provider(cfg: StackConfig, kubeconfig: pulumi.Output[str],
                     parent: pulumi.Resource) -> k8s.Provider:
    # The identifier, not the kubeconfig, decides replacement: a refreshed kubeconfig
    # (new certificates, a re-run of the kubeconfig phase) must never replace every addon.
    return k8s.Provider(
        "kubernetes",
        kubeconfig=kubeconfig,
        cluster_identifier=f"clusterforge-{cfg.cluster.name}",
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["kubeconfig"]),
    )
