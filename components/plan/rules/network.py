"""Network arithmetic the consuming systems enforce: kubeadm, the API server, Calico, AWS.

- kubeadm: the service subnet holds at most 20 host bits (mask >= /12); the pod subnet
  must fit whole node ranges (kube-controller-manager's node mask, /24 for IPv4) and at
  most 2^16 of them (PodSubnetNodeMaskMaxDiff).
- The cluster's own service addresses: the API service (first address + 1) and
  CoreDNS (first address + 10) must lie inside the service range.
- Calico: the pod CIDR is an IP pool, which must hold at least one IPAM block.
- Pod and service ranges are routed by the nodes, so none may fall in loopback,
  link-local, multicast or other reserved space.
- Host addresses, gateway and VIP are usable host addresses, never a network's own
  network or broadcast address.
- AWS: VPC and subnet CIDRs between /16 and /28, the subnet inside the VPC, and the
  cluster's ranges apart from the VPC (its routes would shadow them).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network

from components.config.base import Finding
from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan, pool_addresses
from components.plan.rules.core import address_path

SERVICE_SUBNET_MIN_PREFIX = 12  # kubeadm's MaximumBitsForServiceSubnet = 20
NODE_CIDR_MASK = 24  # kube-controller-manager --node-cidr-mask-size for IPv4
POD_SUBNET_NODE_MASK_MAX_DIFF = 16  # kubeadm's PodSubnetNodeMaskMaxDiff
CLUSTER_DNS_OFFSET = 10  # kubeadm gives CoreDNS the tenth address of the service range
AWS_PREFIX_RANGE = (16, 28)
RESERVED = {
    IPv4Network("0.0.0.0/8"): "'this network' (0.0.0.0/8)",
    IPv4Network("127.0.0.0/8"): "loopback (127.0.0.0/8)",
    IPv4Network("169.254.0.0/16"): "link-local (169.254.0.0/16), which Calico refuses for IP pools",
    IPv4Network("224.0.0.0/4"): "multicast (224.0.0.0/4)",
    IPv4Network("240.0.0.0/4"): "reserved space (240.0.0.0/4)",
}


def network_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    rules = (_service_range, _pod_range, _reserved_ranges, _network_and_broadcast, _aws_ranges)
    return [f for rule in rules for f in rule(cfg, hosts)]


def _service_range(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    cidr = cfg.kubernetes.service_cidr
    if cidr.prefixlen < SERVICE_SUBNET_MIN_PREFIX:
        yield Finding("kubernetes.serviceCidr", f"{cidr} is too large; kubeadm allows at most 20 host bits "
                                                f"(mask >= /{SERVICE_SUBNET_MIN_PREFIX})",
                      "use a /12 or smaller range, e.g. 10.96.0.0/12")
    elif cidr.num_addresses <= CLUSTER_DNS_OFFSET:
        yield Finding("kubernetes.serviceCidr", f"{cidr} has no room for the cluster DNS address "
                                                f"(first address + {CLUSTER_DNS_OFFSET})",
                      "use a /28 or larger range, e.g. 10.96.0.0/12")


def _pod_range(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    cidr = cfg.kubernetes.pod_cidr
    if cidr.prefixlen > NODE_CIDR_MASK:
        yield Finding("kubernetes.podCidr", f"{cidr} is smaller than one node's pod range (/{NODE_CIDR_MASK}); "
                                            "kubeadm refuses it", f"use a /{NODE_CIDR_MASK} or larger range, "
                                                                  "e.g. 10.244.0.0/16")
    elif NODE_CIDR_MASK - cidr.prefixlen > POD_SUBNET_NODE_MASK_MAX_DIFF:
        yield Finding("kubernetes.podCidr", f"{cidr} holds more than 2^{POD_SUBNET_NODE_MASK_MAX_DIFF} node ranges "
                                            f"of /{NODE_CIDR_MASK}; kubeadm refuses it",
                      f"use a /{NODE_CIDR_MASK - POD_SUBNET_NODE_MASK_MAX_DIFF} or smaller range")
    calico = cfg.addons.calico
    if calico.enabled and calico.block_size < cidr.prefixlen:
        yield Finding("addons.calico.blockSize", f"block size /{calico.block_size} is larger than the pod CIDR "
                                                 f"{cidr}; Calico's IP pool must hold at least one block",
                      f"use a blockSize of at least {cidr.prefixlen}, or a larger podCidr")


def _reserved_ranges(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    k = cfg.kubernetes
    for key, cidr in (("podCidr", k.pod_cidr), ("serviceCidr", k.service_cidr)):
        for reserved, what in RESERVED.items():
            if cidr.overlaps(reserved):
                yield Finding(f"kubernetes.{key}", f"{cidr} overlaps {what}; nodes cannot route it",
                              "use private space, e.g. 10.244.0.0/16 for pods and 10.96.0.0/12 for services")


def _edge(address: IPv4Address, net: IPv4Network) -> str | None:
    if net.prefixlen >= 31 or address not in net:
        return None
    if address == net.network_address:
        return "the network address"
    if address == net.broadcast_address:
        return "the broadcast address"
    return None


def _network_and_broadcast(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:

    net = cfg.hosts.network
    if net is None:
        return
    fix = f"use a host address of {net.cidr} ({net.cidr.network_address + 1} to {net.cidr.broadcast_address - 1})"
    if net.gateway is not None and (what := _edge(net.gateway, net.cidr)):
        yield Finding("hosts.network.gateway", f"{net.gateway} is {what} of {net.cidr}", fix)
    vip = cfg.kubernetes.ha.vip
    if vip is not None and (what := _edge(vip, net.cidr)):
        yield Finding("kubernetes.ha.vip", f"{vip} is {what} of {net.cidr}", fix)
    # A pool that runs past the network is reported as such (hosts.pools[i].count) already.
    past = {i for i, pool in enumerate(cfg.hosts.pools) if (a := pool_addresses(pool)) and a[-1] is not None
            and a[-1] not in net.cidr}
    for plan in hosts:
        if plan.pool_index in past:
            continue
        if plan.address is not None and (what := _edge(plan.address, net.cidr)):
            path = address_path(cfg, plan)
            yield Finding(path, f"host {plan.spec.name} gets {plan.address}, {what} of {net.cidr}", fix)


def _aws_ranges(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    aws = cfg.hosts.aws
    if cfg.hosts.kind != "aws" or aws is None:
        return
    low, high = AWS_PREFIX_RANGE
    net = cfg.hosts.network
    if aws.vpc_cidr is not None and not low <= aws.vpc_cidr.prefixlen <= high:
        yield Finding("hosts.aws.vpcCidr", f"{aws.vpc_cidr}: AWS allows VPC blocks from /{low} to /{high}",
                      "use e.g. 10.60.0.0/16")
    if net is not None and aws.subnet_id is None:
        if not low <= net.cidr.prefixlen <= high:
            yield Finding("hosts.network.cidr", f"{net.cidr}: AWS allows subnets from /{low} to /{high}",
                          "use e.g. 10.60.0.0/20")
        if aws.vpc_cidr is not None and not net.cidr.subnet_of(aws.vpc_cidr):
            yield Finding("hosts.network.cidr", f"the node subnet {net.cidr} is not inside the VPC {aws.vpc_cidr}",
                          "pick a subnet of hosts.aws.vpcCidr")
    if aws.vpc_cidr is not None:
        k = cfg.kubernetes
        for key, cidr in (("podCidr", k.pod_cidr), ("serviceCidr", k.service_cidr)):
            if cidr.overlaps(aws.vpc_cidr):
                yield Finding(f"kubernetes.{key}", f"{cidr} overlaps the VPC {aws.vpc_cidr}; the VPC's routes "
                                                   "would take that traffic", "pick a range outside the VPC")
