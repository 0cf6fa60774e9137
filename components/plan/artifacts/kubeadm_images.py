"""The images `kubeadm config images list --kubernetes-version vX` names (pure).

etcd, CoreDNS and pause tags are constants of each kubeadm release
(cmd/kubeadm/app/constants/constants.go: DefaultEtcdVersion, CoreDNSVersion, PauseVersion),
read from the k8s.io/kubernetes module of each release below. A release not in the table
is not guessed: its three images are listed without a tag and with the command that names it.
"""
from __future__ import annotations

from components.plan.artifacts.spec import Artifact

DEFAULT_REPOSITORY = "registry.k8s.io"
# Kubernetes release -> (etcd, coredns, pause) tags kubeadm of that release deploys.
KUBEADM_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "1.36.2": ("3.6.8-0", "v1.14.2", "3.10.2"),
    "1.36.3": ("3.6.8-0", "v1.14.2", "3.10.2"),
    "1.36.4": ("3.6.8-0", "v1.14.2", "3.10.2"),
}
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")


def _pulled_as(name: str, tag: str | None, repository: str | None) -> str | None:
    """kubeadm's imageRepository replaces registry.k8s.io; CoreDNS then loses its coredns/ path."""
    if repository is None or tag is None:
        return None
    short = name.removeprefix(DEFAULT_REPOSITORY + "/").removeprefix("coredns/")
    return f"{repository.rstrip('/')}/{short}:{tag}"


def kubeadm_images(version: str, image_repository: str | None = None) -> list[Artifact]:
    """The images kubeadm pulls for `version` (1.36.2 or v1.36.2), in kubeadm's order."""
    release = version.lstrip("v")
    known = KUBEADM_DEFAULTS.get(release)
    etcd, coredns, pause = known or (None, None, None)
    unknown = ("" if known else f"kubeadm v{release}'s tag is not recorded here: "
               f"`kubeadm config images list --kubernetes-version v{release}` names it")
    images = [(f"{DEFAULT_REPOSITORY}/{name}", f"v{release}", "") for name in CONTROL_PLANE]
    images += [(f"{DEFAULT_REPOSITORY}/coredns/coredns", coredns, unknown),
               (f"{DEFAULT_REPOSITORY}/pause", pause, unknown),
               (f"{DEFAULT_REPOSITORY}/etcd", etcd, unknown)]
    return [Artifact("image", name, tag, DEFAULT_REPOSITORY, "kubeadm",
                     pulled_as=_pulled_as(name, tag, image_repository), note=note)
            for name, tag, note in images]
