"""The pure shape of an addon: one Helm release plus the objects that go with it."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AddonSpec:
    key: str  # config key: calico, openebs, ... or a user chart's name
    release: str
    namespace: str
    chart: str
    repository: str
    version: str
    values: dict[str, Any]
    # Addons (keys) whose release must be ready first.
    depends_on: tuple[str, ...] = ()
    namespace_labels: dict[str, str] = field(default_factory=dict)
    # Objects installed after the release: custom resources need its CRDs and webhooks.
    objects: tuple[dict[str, Any], ...] = ()
    # Objects the release needs before it starts (a Secret its values name).
    prerequisites: tuple[dict[str, Any], ...] = ()
    # A pinned manifest URL of the chart's CRDs, applied as resources of their own before
    # the release (which then skips its crds/): Helm never upgrades a chart's crds/.
    crd_manifest: str | None = None


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge user values over ours: mappings merge, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def obj(api_version: str, kind: str, name: str, namespace: str | None = None,
        labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        **body: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}
