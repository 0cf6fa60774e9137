"""The `kubernetes` section: version, networks and how the API server is reached."""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from pydantic import Field

from components.config.base import PinnedVersion, StrictModel
from components.config.formats import InterfaceName
from components.config.k8s_names import CertSan, DnsSubdomain, Host

# The one pinned Kubernetes release: every shipped stack runs it, `import-kemu` writes it, the
# kind node image is published for it (kind v0.33.0), and scripts/toolchain.sh builds the real
# control plane of the emulated-kwok stack at it (toolchain/versions.env). A test holds them equal.
DEFAULT_KUBERNETES_VERSION = "1.36.4"


class ControlPlaneEndpoint(StrictModel):
    """Where clients reach the API server: a VIP, a load balancer or a DNS name."""

    host: Host
    port: int = Field(6443, ge=1, le=65535)


class HighAvailability(StrictModel):
    """How several control-plane nodes share one endpoint."""

    mode: Literal["none", "kube-vip", "external"] = "none"
    # kube-vip announces this address from the control-plane node holding its lease.
    vip: IPv4Address | None = None
    interface: InterfaceName = "eth0"
    kube_vip_version: PinnedVersion = "v1.0.1"


class KubernetesConfig(StrictModel):
    version: PinnedVersion
    pod_cidr: IPv4Network = IPv4Network("10.244.0.0/16")
    service_cidr: IPv4Network = IPv4Network("10.96.0.0/12")
    # Defaults to the first control-plane host's address (or the HA VIP) when omitted.
    control_plane_endpoint: ControlPlaneEndpoint | None = None
    ha: HighAvailability = HighAvailability()
    cert_sans: list[CertSan] = []
    cluster_domain: DnsSubdomain = "cluster.local"

    @property
    def minor(self) -> str:
        """`1.36` for version `1.36.2`: the package repository and schema line."""
        major, minor, *_ = self.version.lstrip("v").split(".")
        return f"{major}.{minor}"
