"""Where the API server is reached, and the names its certificate carries (pure).

The one place for both: nodes join at the API endpoint (the configured endpoint, the HA
VIP, or the init host's internal address); kubectl and the Pulumi provider use the client
endpoint (the same, except that without either it is the init host's SSH address, on a
cloud its public one); the certificate names the configured SANs and both hosts.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from components.config.model import StackConfig
from components.plan.hosts.spec import HostSpec

API_PORT = 6443


def configured_endpoint(cfg: StackConfig) -> tuple[str, int] | None:
    """host, port from config: kubernetes.controlPlaneEndpoint, else the kube-vip VIP."""
    k = cfg.kubernetes
    if k.control_plane_endpoint is not None:
        return k.control_plane_endpoint.host, k.control_plane_endpoint.port
    if k.ha.vip is not None:
        return str(k.ha.vip), API_PORT
    return None


def init_host(hosts: Sequence[HostSpec]) -> HostSpec:
    """The control-plane node that runs `kubeadm init` (the first by name)."""
    control_planes = sorted((h for h in hosts if h.role == "control-plane"), key=lambda h: h.name)
    if not control_planes:
        raise ValueError("a kubeadm cluster needs at least one control-plane host")
    return control_planes[0]


def api_endpoint(cfg: StackConfig, hosts: Sequence[HostSpec]) -> tuple[str, int]:
    """host, port the nodes reach the API server at (cloud addresses are known at apply)."""
    return configured_endpoint(cfg) or (init_host(hosts).internal_address, API_PORT)


def client_endpoint(cfg: StackConfig, hosts: Sequence[HostSpec]) -> tuple[str, int]:
    """host, port of the handed-over kubeconfig."""
    return configured_endpoint(cfg) or (init_host(hosts).ssh_address, API_PORT)


def cert_sans(cfg: StackConfig, endpoint_hosts: Iterable[str]) -> list[str]:
    """The API server certificate's SANs: the configured ones and every endpoint host."""
    return sorted({*cfg.kubernetes.cert_sans, *endpoint_hosts})
