"""AWS EC2 host specs from the stack config (pure): network, firewall rules, instances.

Mappings are keyword arguments of pulumi-aws 7.x resources, nested inputs as dicts.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan


class Port(NamedTuple):
    protocol: str
    from_port: int
    to_port: int
    why: str


# Exactly what a kubeadm cluster with Calico needs between its nodes.
NODE_PORTS = (
    Port("tcp", 6443, 6443, "Kubernetes API server"),
    Port("tcp", 2379, 2380, "etcd client and peer"),
    Port("tcp", 10250, 10250, "kubelet API"),
    Port("tcp", 10256, 10256, "kube-proxy health"),
    Port("tcp", 10257, 10257, "kube-controller-manager"),
    Port("tcp", 10259, 10259, "kube-scheduler"),
    Port("tcp", 30000, 32767, "NodePort services"),
    Port("udp", 30000, 32767, "NodePort services"),
    Port("tcp", 179, 179, "Calico BGP"),
    Port("udp", 4789, 4789, "Calico VXLAN"),
    Port("tcp", 5473, 5473, "Calico Typha"),
)
# Reachable from the configured admin sources.
ADMIN_PORTS = (
    Port("tcp", 22, 22, "SSH"),
    Port("tcp", 6443, 6443, "Kubernetes API server (kubectl)"),
)


def tags(cfg: StackConfig, name: str, **extra: str) -> dict[str, str]:
    return {"Name": f"{cfg.cluster.name}-{name}", "clusterforge:cluster": cfg.cluster.name,
            f"kubernetes.io/cluster/{cfg.cluster.name}": "owned", **extra}


def vpc_args(cfg: StackConfig) -> dict[str, Any]:
    return {"cidr_block": str(cfg.hosts.aws.vpc_cidr), "enable_dns_hostnames": True,
            "enable_dns_support": True, "tags": tags(cfg, "vpc")}


def subnet_args(cfg: StackConfig) -> dict[str, Any]:
    # The host network is the subnet the nodes live in.
    return {"cidr_block": str(cfg.hosts.network.cidr), "map_public_ip_on_launch": True,
            "tags": tags(cfg, "nodes")}


def security_group_args(cfg: StackConfig) -> dict[str, Any]:
    sources = sorted(str(s) for s in cfg.hosts.aws.ssh_sources)
    ingress = [{"protocol": p.protocol, "from_port": p.from_port, "to_port": p.to_port,
                "self": True, "description": f"{p.why} between nodes"} for p in NODE_PORTS]
    ingress += [{"protocol": p.protocol, "from_port": p.from_port, "to_port": p.to_port,
                 "cidr_blocks": sources, "description": f"{p.why} from admin sources"} for p in ADMIN_PORTS]
    return {
        "description": f"nodes of cluster {cfg.cluster.name}",
        "ingress": ingress,
        "egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"],
                    "description": "all outbound"}],
        "tags": tags(cfg, "nodes"),
    }


def key_pair_args(cfg: StackConfig) -> dict[str, Any]:
    return {"public_key": cfg.hosts.ssh.public_keys[0], "tags": tags(cfg, "ssh")}


def api_address_args(cfg: StackConfig, plan: HostPlan) -> dict[str, Any]:
    """A control plane's Elastic IP: a public address that outlives stops and restarts, so the
    API server's certificate (which names it) and the kubeconfig stay valid."""
    return {"domain": "vpc", "tags": tags(cfg, f"{plan.spec.name}-api", **{"clusterforge:role": plan.spec.role})}


def image_lookup_args(cfg: StackConfig) -> dict[str, Any] | None:
    """aws.ec2.get_ami's arguments for `hosts.aws.image` (None with a fixed `ami`): the
    publisher's account, the name and the architecture; the newest match wins."""
    image = cfg.hosts.aws.image
    if image is None:
        return None
    return {"owners": [image.owner], "most_recent": True,
            "filters": [{"name": "name", "values": [image.name]},
                        {"name": "architecture", "values": [image.architecture]},
                        {"name": "state", "values": ["available"]}]}


def instance_args(cfg: StackConfig, plan: HostPlan, ami: Any = None) -> dict[str, Any]:
    """`ami`: the image ID looked up for hosts.aws.image (else hosts.aws.ami)."""
    aws = cfg.hosts.aws
    return {
        "ami": ami if ami is not None else aws.ami,
        "instance_type": plan.instance_type,
        "root_block_device": {"volume_size": plan.size.disk_gb if plan.size.disk_gb > aws.root_volume_gb
                              else aws.root_volume_gb, "volume_type": "gp3", "encrypted": True},
        # IMDSv2 only: a pod reaching the metadata service cannot take the node's role.
        "metadata_options": {"http_tokens": "required", "http_put_response_hop_limit": 1},
        # Pod traffic leaves nodes with pod addresses.
        "source_dest_check": False,
        "tags": tags(cfg, plan.spec.name, **{"clusterforge:role": plan.spec.role}),
    }
