"""The kind host kind against the rest of the stack: its node image runs the pinned version."""
from __future__ import annotations

from components.config.base import Finding
from components.config.model import StackConfig


def kind_findings(cfg: StackConfig) -> list[Finding]:
    """The kind host kind's cross-section rules (takes the StackConfig)."""
    kind = cfg.hosts.kind_cluster
    if cfg.hosts.kind != "kind" or kind is None:
        return []
    tag = kind.node_image_tag.removeprefix("v")
    version = str(cfg.kubernetes.version).removeprefix("v")
    if tag and tag != version:
        return [Finding(
            "hosts.kindCluster.nodeImage",
            f"node image {kind.node_image} runs Kubernetes {tag}, the stack pins {version}",
            f"use kindest/node:v{version} (with its digest) or set kubernetes.version to {tag}",
        )]
    return []
