"""One address plan for the whole stack: every address a node must reach before the cluster
runs, and every range handed out, against the cluster's own ranges and the host network's
reserved addresses. (Pairs of ranges, hosts, gateway and VIP are network.py's and core.py's.)

Who consumes what:
- `hosts.network.dns[]`: cloud-init writes them into each node's resolv.conf; the kubelet
  hands that file to CoreDNS (and to every `dnsPolicy: Default` pod), and CoreDNS forwards
  to it. An address inside the service range (e.g. the cluster DNS 10.96.0.10) or the pod
  range is unreachable from a booting node (kube-proxy and the CNI run later) and, once
  they run, makes CoreDNS forward to itself; a loopback address (127.0.0.53 of
  systemd-resolved) does the same inside the CoreDNS pod. CoreDNS's `loop` plugin then stops
  CoreDNS ("Loop ... detected"), so the cluster has no DNS.
- `kubernetes.controlPlaneEndpoint.host` (an address): kubeadm init/join and the kubelets
  dial it before kube-proxy runs, so it cannot be a ClusterIP or pod address.
- `provisioning.timeServers[]` (addresses), `provisioning.registryMirrors.<registry>[]` and
  `provisioning.airGapped.apt.uri` (URLs whose host is an address): chrony, containerd and
  apt on the node, before the cluster's network runs (the images of kube-proxy and the CNI
  come through the mirror), same reach as above.
- `addons.metallb.addresses[]`: MetalLB hands out every address of a range, network and
  broadcast addresses of the host network included; hosts on the segment drop traffic to them.
- Any single address (DNS server, endpoint) is never the host network's network or
  broadcast address.
- `kubernetes.controlPlaneEndpoint.port`: kubeadm binds every API server to 6443
  (`localAPIEndpoint.bindPort`); kube-vip in ARP mode only moves the address, and without HA
  the endpoint is a control plane itself, so the port must be 6443 unless an external load
  balancer maps it (`ha.mode: external`).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network, ip_address
from urllib.parse import urlsplit

from components.config.addons import parse_address_range
from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan

LOOPBACK = IPv4Network("127.0.0.0/8")


def _address(text) -> IPv4Address | None:
    try:
        found = ip_address(str(text))
    except ValueError:
        return None
    return found if isinstance(found, IPv4Address) else None


def _node_reached(cfg: StackConfig) -> Iterator[tuple[str, IPv4Address, str]]:
    """(path, address, what) of every address a node dials before the cluster's network runs."""
    net = cfg.hosts.network
    if net is not None:
        for i, server in enumerate(net.dns):
            if (found := _address(server)) is not None:
                yield join_path("hosts", "network", "dns", i), found, "DNS server"
    endpoint = cfg.kubernetes.control_plane_endpoint
    if endpoint is not None and (found := _address(endpoint.host)) is not None:
        yield "kubernetes.controlPlaneEndpoint.host", found, "control-plane endpoint"
    p = cfg.provisioning
    for i, server in enumerate(p.time_servers):
        if (found := _address(server)) is not None:
            yield join_path("provisioning", "timeServers", i), found, "time server"
    for registry, endpoints in sorted(p.registry_mirrors.items()):
        for i, endpoint in enumerate(endpoints):
            if (found := _address(urlsplit(str(endpoint)).hostname)) is not None:
                yield join_path("provisioning", "registryMirrors", registry, i), found, "registry mirror"
    if p.air_gapped is not None and (found := _address(urlsplit(str(p.air_gapped.apt.uri)).hostname)) is not None:
        yield "provisioning.airGapped.apt.uri", found, "apt mirror"


def _edges(net: IPv4Network) -> dict[IPv4Address, str]:
    if net.prefixlen >= 31:
        return {}
    return {net.network_address: "the network address", net.broadcast_address: "the broadcast address"}


API_SERVER_PORT = 6443  # kubeadm's bindPort, as the kubeadm documents here set it


def address_plan_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    findings = []
    endpoint = cfg.kubernetes.control_plane_endpoint
    if (cfg.uses_kubeadm and endpoint is not None and endpoint.port != API_SERVER_PORT
            and cfg.kubernetes.ha.mode != "external"):
        how = "kube-vip only moves the address" if cfg.kubernetes.ha.mode == "kube-vip" else \
            "the endpoint is a control plane itself"
        findings.append(Finding("kubernetes.controlPlaneEndpoint.port", f"port {endpoint.port}: the API servers "
                                f"listen on {API_SERVER_PORT} and {how}, so nothing answers there",
                                f"use {API_SERVER_PORT}, or put an external load balancer in front (ha.mode external)"))
    k = cfg.kubernetes
    cluster_ranges = [] if not cfg.uses_kubeadm else [("serviceCidr", k.service_cidr), ("podCidr", k.pod_cidr)]
    net = cfg.hosts.network
    edges = _edges(net.cidr) if net is not None else {}
    for path, address, what in _node_reached(cfg):
        # A cluster range over the host network is core.py's finding, not one per address in it.
        for key, cidr in [] if net is not None and address in net.cidr else cluster_ranges:
            if address in cidr:
                own = " (the cluster DNS Service itself)" if what == "DNS server" and key == "serviceCidr" else ""
                findings.append(Finding(path, f"the {what} {address} is inside kubernetes.{key} {cidr}{own}: nodes "
                                        "reach it only through kube-proxy and the CNI, which are not running when "
                                        "the node boots" + (", and CoreDNS would forward to itself (its loop "
                                                             "plugin stops it)" if what == "DNS server" else ""),
                                        f"give an address outside the cluster's ranges (the {what} on the host "
                                        "network or beyond its router)"))
                break
        else:
            if what == "DNS server" and address in LOOPBACK:
                findings.append(Finding(path, f"the DNS server {address} is a loopback address: CoreDNS forwards "
                                        "to the node's resolv.conf, so it would forward to itself (its loop plugin "
                                        "stops it)", "give the network's resolver, e.g. the router's address"))
            elif address in edges:
                findings.append(Finding(path, f"the {what} {address} is {edges[address]} of {net.cidr}",
                                        f"use a host address of {net.cidr}"))
    mlb = cfg.addons.metallb
    if mlb.enabled and edges:
        for i, text in enumerate(mlb.addresses):
            try:
                first, last = parse_address_range(text)
            except ValueError:
                continue  # addons.py reports it
            inside = sorted(f"{a} ({what})" for a, what in edges.items() if first <= a <= last)
            if inside:
                findings.append(Finding(join_path("addons", "metallb", "addresses", i),
                                        f"{text} includes {', '.join(inside)} of the host network {net.cidr}: "
                                        "MetalLB would hand it to a Service, and hosts drop traffic to it",
                                        f"end the range before {net.cidr.broadcast_address} and start it after "
                                        f"{net.cidr.network_address}"))
    return findings
