"""The hosts' operating system against what runs on it (version skew).

Consumers: the playbooks' roles declare Debian bookworm (12) and trixie (13) as their
platforms (roles' meta/main.yml: apt sources by `distribution_release`, NVIDIA's CUDA
repository per Debian major, the containerd table in config/provisioning.py). The Proxmox
template is cloned from `hosts.proxmox.template.imageUrl`; Debian's cloud images name their
release in the file (`debian-13-genericcloud-amd64-<date>.qcow2`) and directory (`trixie/`).
An older Debian is refused: no package source or driver line the roles pin exists for it
(and Debian 10 boots cgroup v1, which the kubelet refuses from Kubernetes 1.35).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from components.config.base import Finding
from components.config.model import StackConfig

SUPPORTED = {12: "bookworm", 13: "trixie"}
CODENAMES = {"stretch": 9, "buster": 10, "bullseye": 11, "bookworm": 12, "trixie": 13, "forky": 14}
_RELEASE = re.compile(r"/debian-(\d+)-[a-z]+-[a-z0-9]+[-.]")
_CODENAME = re.compile(r"/(" + "|".join(CODENAMES) + r")/")


def debian_release(url: str) -> int | None:
    """The Debian major of a Debian cloud image URL, None when it names none."""
    if (found := _RELEASE.search(url)) is not None:
        return int(found.group(1))
    if (found := _CODENAME.search(url)) is not None:
        return CODENAMES[found.group(1)]
    return None


def _template(cfg: StackConfig) -> Iterator[Finding]:
    px = cfg.hosts.proxmox
    if cfg.hosts.kind != "proxmox" or px is None:
        return
    release = debian_release(px.template.image_url)
    if release is not None and release not in SUPPORTED:
        names = ", ".join(f"Debian {n} ({c})" for n, c in SUPPORTED.items())
        yield Finding("hosts.proxmox.template.imageUrl", f"a Debian {release} image: the playbooks' roles "
                      f"support {names} only (package sources, containerd, the NVIDIA driver line)",
                      "use a dated Debian 13 genericcloud image, e.g. .../trixie/20251117-2299/"
                      "debian-13-genericcloud-amd64-20251117-2299.qcow2")


def host_os_findings(cfg: StackConfig) -> list[Finding]:
    return list(_template(cfg))
