"""The `provisioning` section: how nodes get their packages, runtime and time.

Who consumes each field:
- `containerdSource` / `containerdVersion`: apt on the hosts (Docker's repository or
  Debian's archive, an exact pinned version) and the kubelet, which needs a containerd line
  the Kubernetes minor supports (CONTAINERD_SUPPORT, from containerd's RELEASES.md).
- `registryMirrors`: containerd's `hosts.toml` per registry (https endpoints; plain http
  only for a verified download, trust.py).
- `timeServers`: chrony's `server` lines on every node (host names or addresses the node
  reaches at boot: address_plan.py keeps them out of the cluster's ranges).
- `airGapped.apt.uri|suite|components|signedBy|trusted`: apt's sources (deb822) and the
  signing key apt verifies with (an armoured OpenPGP public key, trust.py);
  `airGapped.imageRepository`: kubeadm's `imageRepository` (a registry path).
- `upgradeBatchSize`, `drainTimeoutSeconds`: the upgrade phase's batches and
  `kubectl drain --timeout` (seconds; bounded here).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from components.config.base import Finding, PinnedVersion, StrictModel

# The containerd releases each Kubernetes minor supports: the lowest patch of each
# containerd line (containerd's RELEASES.md, "Kubernetes support"). A minor newer than the
# table needs at least what the newest listed one needs.
CONTAINERD_SUPPORT: dict[str, tuple[str, ...]] = {
    "1.32": ("2.1.0", "2.0.1", "1.7.24", "1.6.36"),
    "1.33": ("2.1.0", "2.0.4", "1.7.24", "1.6.36"),
    "1.34": ("2.1.3", "2.0.6", "1.7.28", "1.6.39"),
    "1.35": ("2.2.0", "2.1.5", "1.7.28"),
    "1.36": ("2.3.0", "2.2.0"),
}
# What `containerdSource: distro` installs from Debian's own archive.
DEBIAN_CONTAINERD = {"Debian 12": "1.6.20", "Debian 13": "1.7.24"}


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("~")[0].split("-")[0].split(".")[:3])


def containerd_minimums(kubernetes_minor: str) -> tuple[str, ...] | None:
    """The lowest supported patch of each containerd line for a minor (None: older than the table)."""
    if kubernetes_minor in CONTAINERD_SUPPORT:
        return CONTAINERD_SUPPORT[kubernetes_minor]
    newest = max(CONTAINERD_SUPPORT, key=_release)
    return CONTAINERD_SUPPORT[newest] if _release(kubernetes_minor) > _release(newest) else None


def containerd_supported(version: str, minimums: tuple[str, ...]) -> bool:
    """On a listed line at or above its minimum, or newer than every listed line."""
    release = _release(version)
    for minimum in minimums:
        if _release(minimum)[:2] == release[:2]:
            return release >= _release(minimum)
    return release > max(_release(m) for m in minimums)


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
    # distro: the OS archive's containerd (or the air-gapped mirror's); upstream: containerd.io
    # from Docker's repository. Unset: upstream, or the mirror's when air-gapped (Debian's own
    # containerd is 1.x, which current Kubernetes minors no longer support).
    containerd_source: Literal["distro", "upstream"] = "upstream"
    # An exact containerd.io version for upstream (e.g. 2.2.1); unset: the repository's newest.
    # Either way the prepare phase checks the installed version against the Kubernetes minor.
    containerd_version: PinnedVersion | None = None
    # Registry host -> mirror endpoints containerd tries first (hosts.toml).
    registry_mirrors: dict[str, list[str]] = {}
    time_servers: list[str] = []
    air_gapped: AirGapped | None = None
    upgrade_batch_size: int = Field(1, ge=1, le=100)
    drain_timeout_seconds: int = Field(300, ge=30, le=7200)

    @model_validator(mode="before")
    @classmethod
    def _mirror_means_distro(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("airGapped") and "containerdSource" not in data \
                and "containerd_source" not in data:
            return {**data, "containerdSource": "distro"}
        return data


def _containerd_findings(cfg) -> list[Finding]:
    p, minor = cfg.provisioning, cfg.kubernetes.minor
    minimums = containerd_minimums(minor)
    if minimums is None or not cfg.uses_kubeadm:
        return []
    needs = f"Kubernetes {minor} supports containerd {', '.join(m + '+' for m in minimums)}"
    if p.containerd_source == "distro" and p.air_gapped is None:
        unsupported = [f"{v} on {os}" for os, v in DEBIAN_CONTAINERD.items() if not containerd_supported(v, minimums)]
        if len(unsupported) == len(DEBIAN_CONTAINERD):
            return [Finding("provisioning.containerdSource", f"Debian's containerd ({', '.join(unsupported)}) "
                            f"is too old: {needs}", "use containerdSource: upstream (containerd.io from "
                            "Docker's repository), or leave it unset")]
    if p.containerd_version is not None and not containerd_supported(p.containerd_version, minimums):
        return [Finding("provisioning.containerdVersion", f"containerd {p.containerd_version} is not supported: "
                        f"{needs}", "pin a supported version, or leave it unset")]
    return []


def provisioning_findings(cfg) -> list[Finding]:
    p = cfg.provisioning
    findings = _containerd_findings(cfg)
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
