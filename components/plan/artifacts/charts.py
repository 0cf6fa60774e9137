"""The charts, CRD manifests and images the addons install (pure, from the addon plan).

Images are those the planned values and objects name (an `image` string, or a mapping
with `repository` and `tag`, optionally `registry`); a chart's own default images live
in its package and are not guessed here.
"""
from __future__ import annotations

from typing import Any

from components.plan.addons.catalog import all_addons
from components.plan.artifacts.spec import Artifact


def _split(ref: str) -> tuple[str, str | None]:
    """registry/path:tag -> (registry/path, tag); a digest stays with the name."""
    if "@" in ref:
        return ref, None
    name, colon, tag = ref.rpartition(":")
    if colon and "/" not in tag:
        return name, tag
    return ref, None


def _from_mapping(value: dict) -> str | None:
    repository = value.get("repository")
    if not isinstance(repository, str):
        return None
    registry, tag = value.get("registry"), value.get("tag")
    ref = f"{registry}/{repository}" if isinstance(registry, str) and registry else repository
    return f"{ref}:{tag}" if isinstance(tag, str) and tag else ref


def image_refs(node: Any) -> list[str]:
    """Every image reference a values tree or object names, in document order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                found.append(value)
            elif key == "image" and isinstance(value, dict) and _from_mapping(value):
                found.append(_from_mapping(value))
            else:
                found += image_refs(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            found += image_refs(item)
    return found


def image_artifact(ref: str, needed_by: str) -> Artifact:
    name, tag = _split(ref)
    first = name.split("/", 1)[0]
    # The reference grammar: a first component with a dot or port (or localhost) is a registry.
    registry = first if "/" in name and ("." in first or ":" in first or first == "localhost") else "docker.io"
    return Artifact("image", name, tag or (name.split("@", 1)[1] if "@" in name else None), registry, needed_by,
                    note="" if tag or "@" in name else "no tag: the chart's default decides")


def addon_artifacts(cfg) -> list[Artifact]:
    out: list[Artifact] = []
    for key, spec in all_addons(cfg).items():
        who = f"addon {key}"
        out.append(Artifact("chart", spec.chart, spec.version, spec.repository, who,
                            note="its default images are in the chart package (helm template lists them)"))
        for url in ([spec.crd_manifest] if spec.crd_manifest else []) + list(spec.manifests):
            out.append(Artifact("manifest", url, None, url, who))
        for ref in image_refs([spec.values, list(spec.objects), list(spec.prerequisites)]):
            out.append(image_artifact(ref, who))
    return out
