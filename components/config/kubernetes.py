"""The `kubernetes` section: version, networks and how the API server is reached.

Who consumes each field (rules: here, k8s_names.py, plan/rules/network.py, core.py,
address_plan.py, versions.py):
- `version`: the kube packages apt installs (pkgs.k8s.io `v<minor>` line, exact
  `<version>-1.1` pins), kubeadm's `kubernetesVersion` (v1beta4: 1.31+), the kind node image
  and kwokctl's binaries; each enabled chart's `kubeVersion` constraint; kubeadm's upgrade
  skew (one minor at a time). An exact release (PinnedVersion).
- `podCidr`: kubeadm `networking.podSubnet` -> kube-controller-manager `--cluster-cidr`
  (node /24 ranges, at most 2^16 of them) and Calico's IPPool (holds a block, no link-local).
- `serviceCidr`: kubeadm `networking.serviceSubnet` (at most 20 host bits; the API service
  at +1 and CoreDNS at +10); nodes route neither range, so both stay clear of the host
  network, the VPC and every address a node dials at boot (DNS, endpoint, time servers).
- `controlPlaneEndpoint.host|port`: kubeadm `controlPlaneEndpoint` (a host kubeadm's
  `ValidateHostPort` accepts), every kubeconfig's `server`, the API server certificate's SANs;
  dialled before kube-proxy runs, so outside the cluster's ranges and not a network's
  network or broadcast address.
- `ha.mode|vip|interface|kubeVipVersion`: kube-vip's static pod (ARP on `interface`, a VIP on
  the host network, no host's address, no MetalLB address; not in a VPC), or an external
  load balancer that must be the endpoint.
- `certSans`: kubeadm `apiServer.certSANs` (DNS names or IPs as kubeadm validates them).
- `clusterDomain`: kubeadm `networking.dnsDomain`, the kubelet's `clusterDomain`, CoreDNS's
  zone: a DNS subdomain.
"""
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
