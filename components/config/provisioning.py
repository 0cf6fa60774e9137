"""The `provisioning` section: how nodes get their packages, runtime and time."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Finding, StrictModel


class AptMirror(StrictModel):
    """A local Debian repository holding containerd and the kube packages (air-gapped)."""

    uri: str
    # `./` for a flat repository, else a suite such as `bookworm` with components.
    suite: str = "./"
    components: list[str] = []
    # The mirror's signing key (URL or ASCII armour); `trusted: true` only for an
    # unsigned mirror on a network you control.
    signed_by: str | None = None
    trusted: bool = False


class AirGapped(StrictModel):
    apt: AptMirror
    # Registry serving the control-plane images (kubeadm's imageRepository).
    image_repository: str | None = None


class ProvisioningConfig(StrictModel):
    containerd_source: Literal["distro", "upstream"] = "distro"
    # Registry host -> mirror endpoints containerd tries first (hosts.toml).
    registry_mirrors: dict[str, list[str]] = {}
    time_servers: list[str] = []
    air_gapped: AirGapped | None = None
    upgrade_batch_size: int = Field(1, ge=1, le=100)
    drain_timeout_seconds: int = Field(300, ge=30, le=7200)


def provisioning_findings(cfg) -> list[Finding]:
    p = cfg.provisioning
    findings = []
    if p.air_gapped is not None:
        apt = p.air_gapped.apt
        if not apt.trusted and not apt.signed_by:
            findings.append(Finding("provisioning.airGapped.apt.signedBy",
                                    "the mirror has no signing key and is not marked trusted",
                                    "give the mirror's key in signedBy (or trusted: true for an unsigned "
                                    "mirror on a network you control)"))
        if apt.suite != "./" and not apt.components:
            findings.append(Finding("provisioning.airGapped.apt.components",
                                    f"suite {apt.suite!r} needs components", "list them, e.g. [main]"))
        if p.containerd_source == "upstream":
            findings.append(Finding("provisioning.containerdSource",
                                    "upstream containerd comes from the internet; air-gapped nodes take "
                                    "the mirror's", "use containerdSource: distro with airGapped"))
    return findings
