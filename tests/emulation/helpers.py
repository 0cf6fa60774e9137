"""Shared builders for the emulation tests."""
from __future__ import annotations

from typing import Any

from components.config.emulation import EmulationConfig
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION

KUBERNETES_VERSION = DEFAULT_KUBERNETES_VERSION


def group(name: str = "a100", zones: dict[str, int] | None = None, **template: Any) -> dict[str, Any]:
    template.setdefault("capacity", {"cpu": 96, "memory": "1360Gi", "nvidia.com/gpu": 8, "pods": 110})
    return {
        "name": name,
        "placement": [{"availabilityZone": z, "replicas": n} for z, n in (zones or {"use1": 3}).items()],
        "nodeTemplate": template,
    }


def emulation(*groups: dict[str, Any], **extra: Any) -> EmulationConfig:
    return EmulationConfig.model_validate({"nodeGroups": list(groups), **extra})
