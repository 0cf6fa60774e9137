"""kubeadm v1beta4 documents for each node, and the kube-vip static pod (pure).

The first control-plane node gets InitConfiguration + ClusterConfiguration +
KubeletConfiguration; every other node a JoinConfiguration. Join secrets (bootstrap token,
CA cert hash, certificate key) exist only at run time on the first control-plane node, so
`join_configuration` leaves `discovery` to the playbook unless they are given (tests).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from components.plan.hosts.spec import HostSpec
from components.plan.provisioning.endpoint import cert_sans
from components.plan.sso import apiserver_settings, sso_enabled

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip"

# The kubelet may set only these kubernetes.io / k8s.io labels on its own node (the
# NodeRestriction admission rule); any other label in those namespaces is applied
# through the API after the node joined.
_SELF_LABEL_PREFIXES = ("kubelet.kubernetes.io/", "node.kubernetes.io/")
_SELF_LABEL_KEYS = frozenset({
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
    "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
})


@dataclass(frozen=True)
class ClusterSettings:
    """What every node's kubeadm config shares, taken from the `kubernetes` section."""

    version: str  # `1.36.2`, without the v
    endpoint: str  # host:port of the API server
    pod_cidr: IPv4Network
    service_cidr: IPv4Network
    cert_sans: tuple[str, ...] = ()
    cluster_domain: str = "cluster.local"
    cluster_name: str = "kubernetes"
    image_repository: str | None = None
    ha: bool = False  # more than one control-plane node: upload certs for the others
    sso: bool = False  # the API server reads Dex's tokens (sso.py): the flag and its file's mount

    @classmethod
    def from_config(cls, cfg, endpoint: str, control_planes: int,
                    extra_sans: Sequence[str] = ()) -> "ClusterSettings":
        """`extra_sans`: more names the API server answers to (the address clients use)."""
        k = cfg.kubernetes
        air = cfg.provisioning.air_gapped
        host = endpoint.rsplit(":", 1)[0]
        return cls(version=k.version.lstrip("v"), endpoint=endpoint, pod_cidr=k.pod_cidr,
                   service_cidr=k.service_cidr, cert_sans=tuple(cert_sans(cfg, (host, *extra_sans))),
                   cluster_domain=k.cluster_domain, cluster_name=cfg.cluster.name,
                   image_repository=air.image_repository if air else None,
                   ha=control_planes > 1 or k.ha.mode != "none", sso=sso_enabled(cfg))


def cluster_dns_ip(service_cidr: IPv4Network) -> str:
    """kubeadm gives CoreDNS the tenth address of the service range."""
    return str(service_cidr.network_address + 10)


def split_labels(labels: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(labels the kubelet may set itself, labels to apply through the API)."""
    kubelet, api = {}, {}
    for key, value in sorted(labels.items()):
        prefix = key.split("/", 1)[0] if "/" in key else ""
        restricted = prefix.endswith(("kubernetes.io", "k8s.io"))
        allowed = key in _SELF_LABEL_KEYS or key.startswith(_SELF_LABEL_PREFIXES)
        (api if restricted and not allowed else kubelet)[key] = value
    return kubelet, api


def node_registration(host: HostSpec, control_plane: bool) -> dict[str, Any]:
    taints = [{k: v for k, v in (("key", t.key), ("value", t.value), ("effect", t.effect)) if v}
              for t in host.taints]
    if control_plane and not any(t["key"] == CONTROL_PLANE_TAINT["key"] for t in taints):
        taints.insert(0, dict(CONTROL_PLANE_TAINT))
    args = [{"name": "node-ip", "value": host.internal_address}]
    kubelet_labels, _ = split_labels(host.labels)
    if kubelet_labels:
        args.append({"name": "node-labels",
                     "value": ",".join(f"{k}={v}" for k, v in kubelet_labels.items())})
    return {"name": host.name, "criSocket": CRI_SOCKET, "taints": taints,
            "kubeletExtraArgs": args, "imagePullPolicy": "IfNotPresent"}


def init_configuration(s: ClusterSettings, host: HostSpec) -> dict[str, Any]:
    # For HA the playbook adds `--upload-certs`; the certificate key the other control-plane
    # nodes need is re-uploaded fresh in the join phase, so none is pinned here.
    return {"apiVersion": KUBEADM_API, "kind": "InitConfiguration",
            "nodeRegistration": node_registration(host, control_plane=True),
            "localAPIEndpoint": {"advertiseAddress": host.internal_address, "bindPort": 6443}}


def cluster_configuration(s: ClusterSettings) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": KUBEADM_API, "kind": "ClusterConfiguration",
        "clusterName": s.cluster_name,
        "kubernetesVersion": f"v{s.version}",
        "controlPlaneEndpoint": s.endpoint,
        "networking": {"podSubnet": str(s.pod_cidr), "serviceSubnet": str(s.service_cidr),
                       "dnsDomain": s.cluster_domain},
        "apiServer": {"certSANs": list(s.cert_sans), **(apiserver_settings() if s.sso else {})},
    }
    if s.image_repository:
        doc["imageRepository"] = s.image_repository
    return doc


def kubelet_configuration(s: ClusterSettings) -> dict[str, Any]:
    return {"apiVersion": KUBELET_API, "kind": "KubeletConfiguration",
            "cgroupDriver": "systemd",
            "clusterDomain": s.cluster_domain,
            "clusterDNS": [cluster_dns_ip(s.service_cidr)],
            "failSwapOn": True,
            "rotateCertificates": True,
            "serverTLSBootstrap": False}


def join_configuration(s: ClusterSettings, host: HostSpec, *, token: str | None = None,
                       ca_cert_hash: str | None = None, certificate_key: str | None = None) -> dict[str, Any]:
    control_plane = host.role == "control-plane"
    doc: dict[str, Any] = {"apiVersion": KUBEADM_API, "kind": "JoinConfiguration",
                           "nodeRegistration": node_registration(host, control_plane)}
    if token is not None and ca_cert_hash is not None:
        doc["discovery"] = {"bootstrapToken": {"token": token, "apiServerEndpoint": s.endpoint,
                                               "caCertHashes": [ca_cert_hash]}}
    if control_plane:
        doc["controlPlane"] = {"localAPIEndpoint": {"advertiseAddress": host.internal_address,
                                                    "bindPort": 6443}}
        if certificate_key is not None:
            doc["controlPlane"]["certificateKey"] = certificate_key
    return doc


def node_documents(s: ClusterSettings, hosts: Sequence[HostSpec]) -> dict[str, list[dict[str, Any]]]:
    """Host name -> its kubeadm documents; the first control-plane node (by name) inits."""
    ordered = sorted(hosts, key=lambda h: (h.role != "control-plane", h.name))
    if not ordered or ordered[0].role != "control-plane":
        raise ValueError("a kubeadm cluster needs at least one control-plane host")
    first, *others = ordered
    docs = {first.name: [init_configuration(s, first), cluster_configuration(s), kubelet_configuration(s)]}
    for host in others:
        docs[host.name] = [join_configuration(s, host)]
    return docs


def api_labels(hosts: Sequence[HostSpec]) -> dict[str, dict[str, str]]:
    """Host name -> labels the kubelet may not set itself (applied with kubectl after join)."""
    return {h.name: api for h in hosts if (api := split_labels(h.labels)[1])}


def kube_vip_manifest(vip: str, interface: str, version: str, port: int = 6443,
                      kubeconfig: str = "/etc/kubernetes/admin.conf") -> dict[str, Any]:
    """The kube-vip static pod: ARP-announced VIP with leader election, control plane only."""
    env = {"vip_arp": "true", "port": str(port), "vip_interface": interface, "vip_cidr": "32",
           "cp_enable": "true", "cp_namespace": "kube-system", "vip_leaderelection": "true",
           "vip_leasename": "plndr-cp-lock", "vip_leaseduration": "5", "vip_renewdeadline": "3",
           "vip_retryperiod": "1", "address": vip}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "hostNetwork": True,
            # The pod starts before the API server is reachable through RBAC-bound admin.conf
            # on the init node, so there the role passes super-admin.conf instead.
            "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["kubernetes"]}],
            "containers": [{
                "name": "kube-vip",
                "image": f"{KUBE_VIP_IMAGE}:{version}",
                "imagePullPolicy": "IfNotPresent",
                "args": ["manager"],
                "env": [{"name": k, "value": v} for k, v in env.items()],
                "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"],
                                                     "drop": ["ALL"]}},
                "volumeMounts": [{"name": "kubeconfig", "mountPath": "/etc/kubernetes/admin.conf"}],
            }],
            "volumes": [{"name": "kubeconfig",
                         "hostPath": {"path": kubeconfig, "type": "FileOrCreate"}}],
        },
    }
