"""The packages and binaries a kubeadm node runs, at the stack's versions (pure).

The packages are what the prepare phase installs (playbooks/roles/node_packages, and
nvidia_gpu on hosts with GPUs, whose pinned versions are read from the role defaults);
the binaries are what those packages carry, so a site that builds its own packages knows
what to build. runc and the CNI plugins are not pinned by a stack: the versions are the
ones the project builds and tests its nodes with (toolchain/versions.env).
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from components.plan.artifacts.spec import Artifact
from components.plan.hosts.expand import expand_hosts
from components.plan.provisioning.tree_hash import PLAYBOOKS_DIR

PKGS_K8S = "https://pkgs.k8s.io/core:/stable:/v{minor}/deb/"
DOCKER_REPOSITORY = "https://download.docker.com/linux/debian"
DEBIAN_ARCHIVE = "the Debian archive"
# What the project's nodes are built and tested with (toolchain/versions.env).
RUNC_VERSION = "v1.5.3"
CNI_PLUGINS_VERSION = "v1.10.0"
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")


@lru_cache(maxsize=None)
def role_defaults(role: str) -> dict:
    return yaml.safe_load((PLAYBOOKS_DIR / "roles" / role / "defaults" / "main.yml").read_text()) or {}


def _mirror(cfg) -> str | None:
    air = cfg.provisioning.air_gapped
    return air.apt.uri if air is not None else None


def _containerd(cfg) -> tuple[str, str | None, str, str]:
    """(package, version, source, note) of the container runtime prepare installs."""
    p, mirror = cfg.provisioning, _mirror(cfg)
    version = p.containerd_version.lstrip("v") if p.containerd_version else None
    unpinned = "" if version else "not pinned (provisioning.containerdVersion): the repository's newest"
    if p.containerd_source == "upstream":
        return "containerd.io", version, DOCKER_REPOSITORY, unpinned
    return "containerd", version, mirror or DEBIAN_ARCHIVE, unpinned


def node_packages(cfg) -> list[Artifact]:
    mirror = _mirror(cfg)
    version = cfg.kubernetes.version.lstrip("v")
    kube_source = mirror or PKGS_K8S.format(minor=cfg.kubernetes.minor)
    name, containerd_version, containerd_source, note = _containerd(cfg)
    out = [Artifact("package", "chrony", None, mirror or DEBIAN_ARCHIVE, "prepare (time sync)",
                    note="not pinned: the repository's current version"),
           Artifact("package", name, containerd_version, containerd_source, "prepare (container runtime)", note=note)]
    out += [Artifact("package", pkg, version, kube_source, "prepare (kube packages, held)",
                     note=f"apt installs {pkg}={version}-* (pkgs.k8s.io names it {version}-1.1) and its "
                          "dependencies from the same repository")
            for pkg in role_defaults("node_packages")["node_packages_kube"]]
    if any(p.spec.gpus for p in expand_hosts(cfg.hosts)):
        gpu = role_defaults("nvidia_gpu")
        driver, toolkit = gpu["nvidia_gpu_driver_version"], gpu["nvidia_gpu_toolkit_version"]
        out += [Artifact("package", pkg, driver, mirror or "NVIDIA's CUDA repository", "prepare (hosts with GPUs)")
                for pkg in gpu["nvidia_gpu_driver_packages"]]
        out += [Artifact("package", pkg, toolkit, mirror or "NVIDIA's libnvidia-container repository",
                         "prepare (hosts with GPUs)") for pkg in gpu["nvidia_gpu_toolkit_packages"]]
    return out


def node_binaries(cfg) -> list[Artifact]:
    version = "v" + cfg.kubernetes.version.lstrip("v")
    _, containerd_version, _, note = _containerd(cfg)
    containerd_version = f"v{containerd_version}" if containerd_version else None
    out = [Artifact("binary", b, version, "k8s.io/kubernetes", "kube packages") for b in ("kubelet", "kubeadm", "kubectl")]
    out += [Artifact("binary", b, containerd_version, "github.com/containerd/containerd/v2", "containerd package",
                     note=note) for b in ("containerd", "ctr", "containerd-shim-runc-v2")]
    out.append(Artifact("binary", "runc", RUNC_VERSION, "github.com/opencontainers/runc", "containerd package",
                        note="the release the project's nodes are tested with"))
    out += [Artifact("binary", b, CNI_PLUGINS_VERSION, "github.com/containernetworking/plugins",
                     "containerd (CNI plugins)", note="the release the project's nodes are tested with")
            for b in CNI_PLUGINS]
    return out
