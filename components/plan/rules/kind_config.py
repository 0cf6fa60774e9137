"""kind's Cluster config (`hosts.kindCluster.config`) as kind validates it, ported short.

Consumer: `kind create cluster --config` (sigs.k8s.io/kind, pkg/internal/apis/config
validate.go) refuses a config whose nodes have a role other than control-plane or worker,
that has no control-plane node, whose `networking.podSubnet`/`serviceSubnet` are not CIDRs
(they must not overlap either: kubeadm refuses that), whose `kubeProxyMode` is not iptables,
ipvs, nftables or none, whose ports (`apiServerPort`, `extraPortMappings`) are outside
-1..65535, or whose nodes map one host port twice. A node's own `image` replaces
`nodeImage` for that node, so its tag must be kubernetes.version too (version skew).
kind reads only `apiVersion: kind.x-k8s.io/v1alpha4` (v1alpha3 was removed in kind 0.8).
"""
from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_network

from components.config.base import Finding, join_path
from components.config.model import StackConfig

ROLES = ("control-plane", "worker")
PROXY_MODES = ("iptables", "ipvs", "nftables", "none")
BASE = "hosts.kindCluster.config"


def _port_ok(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= 65535


def _image_tag(image: str) -> str:
    ref = image.split("@", 1)[0]
    return ref.rpartition(":")[2].removeprefix("v") if ":" in ref.rpartition("/")[2] else ""


def _networking(net: dict) -> Iterator[Finding]:
    base = join_path(BASE, "networking")
    subnets = {}
    for key in ("podSubnet", "serviceSubnet"):
        if key in net:
            try:
                subnets[key] = ip_network(str(net[key]), strict=True)
            except ValueError as err:
                yield Finding(join_path(base, key), f"{net[key]!r} is not a CIDR kind accepts ({err})",
                              "write a network such as 10.244.0.0/16")
    if len(subnets) == 2 and subnets["podSubnet"].overlaps(subnets["serviceSubnet"]):
        yield Finding(join_path(base, "serviceSubnet"), f"{subnets['serviceSubnet']} overlaps the podSubnet "
                      f"{subnets['podSubnet']}; kubeadm refuses overlapping ranges", "choose disjoint ranges")
    if "kubeProxyMode" in net and net["kubeProxyMode"] not in PROXY_MODES:
        yield Finding(join_path(base, "kubeProxyMode"), f"{net['kubeProxyMode']!r} is not a kube-proxy mode kind "
                      "knows", f"use one of {', '.join(PROXY_MODES)}")
    if "apiServerPort" in net and not _port_ok(net["apiServerPort"]):
        yield Finding(join_path(base, "apiServerPort"), f"{net['apiServerPort']!r} is not a port",
                      "use 0 (kind picks one) or a port up to 65535")


def _nodes(nodes: list, version: str) -> Iterator[Finding]:
    control_planes = 0
    taken: dict[tuple, str] = {}
    for i, node in enumerate(nodes):
        path = join_path(BASE, "nodes", i)
        node = node if isinstance(node, dict) else {}
        role = node.get("role", "control-plane")
        if role not in ROLES:
            yield Finding(join_path(path, "role"), f"{role!r} is not a kind node role", "use control-plane or worker")
        control_planes += role == "control-plane"
        image = node.get("image")
        if isinstance(image, str) and (tag := _image_tag(image)) and tag != version:
            yield Finding(join_path(path, "image"), f"node image {image} runs Kubernetes {tag}, the stack pins "
                          f"{version}", f"drop the node's image (nodeImage applies) or use kindest/node:v{version}")
        for j, mapping in enumerate(node.get("extraPortMappings") or []):
            mapping = mapping if isinstance(mapping, dict) else {}
            where = join_path(path, "extraPortMappings", j)
            for key in ("containerPort", "hostPort"):
                if key in mapping and not _port_ok(mapping[key]):
                    yield Finding(join_path(where, key), f"{mapping[key]!r} is not a port", "use 1 to 65535")
            host = (mapping.get("listenAddress", "0.0.0.0"), mapping.get("hostPort"), mapping.get("protocol", "TCP"))
            if host[1] not in (None, 0, -1):
                if host in taken:
                    yield Finding(join_path(where, "hostPort"), f"host port {host[1]}/{host[2]} is also mapped by "
                                  f"{taken[host]}; kind refuses the same host port twice", "map another host port")
                taken.setdefault(host, where)
    if nodes and control_planes == 0:
        yield Finding(join_path(BASE, "nodes"), "no node has the role control-plane; kind needs at least one",
                      "add {role: control-plane}")


def kind_config_findings(cfg: StackConfig) -> list[Finding]:
    kind = cfg.hosts.kind_cluster
    if cfg.hosts.kind != "kind" or kind is None:
        return []
    config = kind.kind_config
    version_findings = [] if config.get("apiVersion") == "kind.x-k8s.io/v1alpha4" else [Finding(
        join_path(BASE, "apiVersion"), f"{config.get('apiVersion')!r}: kind reads only kind.x-k8s.io/v1alpha4 "
        "(older versions were removed)", "write apiVersion: kind.x-k8s.io/v1alpha4 and port the config")]
    findings = version_findings + list(_networking(config.get("networking") or {})) if isinstance(
        config.get("networking") or {}, dict) else []
    nodes = config.get("nodes")
    if isinstance(nodes, list):
        findings += _nodes(nodes, str(cfg.kubernetes.version).removeprefix("v"))
    return findings
