"""The pure shape of an addon: one Helm release plus the objects that go with it."""
from __future__ import annotations

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
    # Objects the release needs before it starts (a Secret its values name, a ConfigMap
    # its pods mount), declared in order after the namespace.
    prerequisites: tuple[dict[str, Any], ...] = ()
    # A pinned manifest URL of the chart's CRDs, applied as resources of their own before
    # the release (which then skips its crds/): Helm never upgrades a chart's crds/.
    crd_manifest: str | None = None
    # Pinned upstream CRD manifests no chart ships (Gateway API), applied the same way.
    manifests: tuple[str, ...] = ()


def _copy(value: Any) -> Any:
    """A copy of the mappings and lists; leaves (Pulumi Outputs among them) are shared."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge user values over ours: mappings merge, anything else replaces."""
    out = _copy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = _copy(value)
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
