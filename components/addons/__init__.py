"""Cluster addons as one ordered graph of Helm releases and custom resources."""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from ..config.model import StackConfig


@dataclass
class AddonsResult:
    releases: dict[str, pulumi.Resource] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_addons(cfg: StackConfig, provider: k8s.Provider, depends_on: list[pulumi.Resource],
                 parent: pulumi.Resource) -> AddonsResult:
    return AddonsResult(notes=["clusterforge:addons: addons are declared but not built yet"])
