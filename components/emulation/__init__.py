"""Emulated clusters: a kind control plane and KWOK node groups."""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..access import ClusterAccess
from ..config.model import StackConfig


def build_kind_cluster(cfg: StackConfig, parent: pulumi.Resource) -> ClusterAccess:
    pulumi.log.warn("clusterforge:hosts.kindCluster: the kind cluster is declared but not built yet")
    return ClusterAccess(kubeconfig=pulumi.Output.secret(""))


def build_emulation(cfg: StackConfig, provider: k8s.Provider, kubeconfig: pulumi.Output[str],
                    depends_on: list[pulumi.Resource], parent: pulumi.Resource) -> None:
    pulumi.log.warn("clusterforge:emulation: KWOK node groups are declared but not built yet")


def declared_objects(cfg: StackConfig) -> dict[str, list[dict]]:
    return {}


def capacity_summary(cfg: StackConfig) -> str:
    return ""
