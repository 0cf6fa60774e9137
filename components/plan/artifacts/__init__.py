"""Everything a stack needs at its versions: packages, binaries, images, charts (pure).

`stack_artifacts(cfg)` is what `clusterforge artifacts STACK` lists and what a bundle for
an air-gapped site's mirror holds.
"""
from __future__ import annotations

from components.plan.artifacts.charts import addon_artifacts, image_artifact
from components.plan.artifacts.kubeadm_images import kubeadm_images
from components.plan.artifacts.node import node_binaries, node_packages
from components.plan.artifacts.spec import KINDS, Artifact
from components.plan.provisioning.kubeadm_config import KUBE_VIP_IMAGE

__all__ = ["Artifact", "KINDS", "stack_artifacts"]


def _cluster_artifacts(cfg) -> list[Artifact]:
    if cfg.uses_kubeadm:
        air = cfg.provisioning.air_gapped
        out = node_packages(cfg) + node_binaries(cfg)
        out += kubeadm_images(cfg.kubernetes.version, air.image_repository if air else None)
        if cfg.kubernetes.ha.mode == "kube-vip":
            out.append(Artifact("image", KUBE_VIP_IMAGE, cfg.kubernetes.ha.kube_vip_version, "ghcr.io",
                                "kube-vip (static pod on the control planes)"))
        return out
    if cfg.hosts.kind == "kind":
        return [image_artifact(cfg.hosts.kind_cluster.node_image, "kind (node image)")]
    return []


def _emulation_artifacts(cfg) -> list[Artifact]:
    # kwokctl runs the KWOK controller as a binary; elsewhere it is a Deployment.
    if cfg.emulation is None or not cfg.emulation.node_groups or cfg.hosts.kind == "kwok":
        return []
    return [image_artifact(cfg.emulation.kwok.image_ref, "emulation (KWOK controller)")]


def stack_artifacts(cfg) -> list[Artifact]:
    """Each artifact once (what needs it joined), by kind, then in the order found."""
    merged: dict[tuple, Artifact] = {}
    for a in _cluster_artifacts(cfg) + _emulation_artifacts(cfg) + addon_artifacts(cfg):
        key = (a.kind, a.name, a.version, a.pulled_as)
        if key in merged and a.needed_by not in merged[key].needed_by.split(", "):
            merged[key] = Artifact(**{**merged[key].__dict__, "needed_by": f"{merged[key].needed_by}, {a.needed_by}"})
        merged.setdefault(key, a)
    return sorted(merged.values(), key=lambda a: KINDS.index(a.kind))
