"""KEMU (datastrophic/kemu) `ClusterConfig` documents: recognised, and their node groups
taken as the emulation section."""
from __future__ import annotations

from typing import Any

KEMU_API_VERSION = "kemu.datastrophic.io/v1alpha1"


def is_kemu_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("apiVersion") == KEMU_API_VERSION


def from_kemu(document: dict) -> dict:
    """The emulation section of a KEMU `ClusterConfig`: its node groups.

    KEMU's `kindConfig` and `clusterAddons` belong to `hosts.kindCluster` and
    `addons.charts`; `clusterforge import-kemu` moves them there. Inside the emulation
    section they would be dropped, so they are refused rather than ignored.
    """
    if document.get("kind") != "ClusterConfig":
        raise ValueError(f"a {KEMU_API_VERSION} document must be a ClusterConfig; use kind: ClusterConfig")
    spec = document.get("spec") or {}
    extra = sorted(set(spec) - {"nodeGroups"})
    if extra:
        raise ValueError(
            f"KEMU spec.{', spec.'.join(extra)} cannot live in the emulation section; run "
            "`clusterforge import-kemu FILE --stack NAME` to move kindConfig to hosts.kindCluster "
            "and clusterAddons to addons.charts"
        )
    return {"nodeGroups": spec.get("nodeGroups") or []}
