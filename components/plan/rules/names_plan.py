"""One name plan: DNS names the stack resolves outside the cluster stay out of the cluster's
own DNS domain.

Consumer: CoreDNS's `kubernetes` plugin is authoritative for `kubernetes.clusterDomain`
(`cluster.local`): every query under it is answered from Services and Pods, NXDOMAIN
otherwise, and never forwarded. So a name under it that lives outside the cluster (the LAN's
search domain when it equals or sits under the cluster domain, the API endpoint, the
gateway's hostnames that OAuth2-Proxy and JupyterHub fetch Dex's issuer from, the Proxmox
API, mirrors, time servers) never resolves from a pod; and a cluster domain equal to the
LAN's domain shadows every LAN name for pods.
"""
from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address
from urllib.parse import urlsplit

from components.config.base import Finding, join_path
from components.config.model import StackConfig


def _is_name(text: str | None) -> bool:
    if not text:
        return False
    try:
        ip_address(text)
    except ValueError:
        return True
    return False


def _outside_names(cfg: StackConfig) -> Iterator[tuple[str, str]]:
    """(path, DNS name) of every name the stack resolves outside the cluster."""
    net = cfg.hosts.network
    if net is not None and net.search_domain:
        yield "hosts.network.searchDomain", str(net.search_domain)
    endpoint = cfg.kubernetes.control_plane_endpoint
    if endpoint is not None and _is_name(endpoint.host):
        yield "kubernetes.controlPlaneEndpoint.host", str(endpoint.host)
    istio = cfg.addons.istio
    if istio.enabled:
        for i, name in enumerate(istio.gateway.hostnames):
            yield join_path("addons", "istio", "gateway", "hostnames", i), name
    if cfg.hosts.kind == "proxmox" and cfg.hosts.proxmox is not None:
        host = urlsplit(cfg.hosts.proxmox.endpoint).hostname
        if _is_name(host):
            yield "hosts.proxmox.endpoint", host
    for i, server in enumerate(cfg.provisioning.time_servers):
        if _is_name(server):
            yield join_path("provisioning", "timeServers", i), server
    for registry, endpoints in sorted(cfg.provisioning.registry_mirrors.items()):
        for i, endpoint_url in enumerate(endpoints):
            if _is_name(host := urlsplit(str(endpoint_url)).hostname):
                yield join_path("provisioning", "registryMirrors", registry, i), host


def names_plan_findings(cfg: StackConfig) -> list[Finding]:
    if not cfg.uses_kubeadm:
        return []
    domain = str(cfg.kubernetes.cluster_domain).rstrip(".").lower()
    findings = []
    for path, name in _outside_names(cfg):
        name = name.rstrip(".").lower()
        if name == domain or name.endswith("." + domain):
            findings.append(Finding(path, f"{name} is inside the cluster's DNS domain {domain}, which CoreDNS answers "
                                    "from the cluster alone: pods never resolve it",
                                    "use a name outside kubernetes.clusterDomain, or another clusterDomain"))
    return findings
