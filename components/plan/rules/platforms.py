"""What the platform under the hosts can do: AWS instance types' GPUs, L2 announcements and
Calico's encapsulations in a VPC.

Consumers:
- EC2: `gpus` on an AWS pool or override makes the host an NVIDIA GPU node (driver role,
  device plugin, `nvidia.com/gpu.present`); only NVIDIA GPU instance families have one.
  G4dn, G5, G6, G6e, Gr6, P3, P4d/P4de, P5/P5e/P5en, G5g carry NVIDIA GPUs; G4ad (AMD) and
  every other family none. Per size counts, from EC2's instance type pages, where known.
- MetalLB: clusterforge configures L2 mode (an L2Advertisement), which answers ARP for the
  Service addresses; a VPC routes by ENI and ignores such announcements (the reason
  kube-vip's ARP mode is refused on AWS too), so a LoadBalancer address is unreachable.
- Calico on AWS: the nodes' security group opens what Calico's VXLAN needs (udp 4789) and
  turns off the source/destination check, so VXLAN, VXLANCrossSubnet, IPIPCrossSubnet (the
  nodes share one subnet: no encapsulation) and None work; IPIP always encapsulates as IP
  protocol 4, which the group does not open, so pods on different nodes never reach each other.
"""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.model import StackConfig

NVIDIA_FAMILIES = ("g4dn", "g5", "g5g", "g6", "g6e", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en")
# GPUs per size where the family's sizes differ (EC2 "accelerated computing" tables).
GPU_COUNTS = {
    **{f"g4dn.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4, "g4dn.metal": 8,
    **{f"{f}.{s}": 1 for f in ("g5", "g6") for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    **{f"{f}.{s}": n for f in ("g5", "g6") for s, n in (("12xlarge", 4), ("24xlarge", 4), ("48xlarge", 8))},
    **{f"g6e.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6e.12xlarge": 4, "g6e.24xlarge": 4, "g6e.48xlarge": 8,
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8, "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8, "p4de.24xlarge": 8, "p5.48xlarge": 8, "p5e.48xlarge": 8, "p5en.48xlarge": 8,
}


def _aws_gpus(cfg: StackConfig) -> Iterator[Finding]:
    aws = cfg.hosts.aws
    if cfg.hosts.kind != "aws" or aws is None:
        return
    entries = [(join_path("hosts", "pools", i, "gpus"), pool.gpus, pool.instance_type or aws.instance_type)
               for i, pool in enumerate(cfg.hosts.pools)]
    for name, override in sorted(cfg.hosts.overrides.items()):
        if override.gpus is not None:
            pool = next((p for p in cfg.hosts.pools if name.rpartition("-")[0] == p.name), None)
            kind = override.instance_type or (pool.instance_type if pool else None) or aws.instance_type
            entries.append((join_path("hosts", "overrides", name, "gpus"), override.gpus, kind))
    for path, gpus, instance_type in entries:
        if not gpus:
            continue
        family = instance_type.split(".", 1)[0]
        if family not in NVIDIA_FAMILIES:
            yield Finding(path, f"{gpus} GPU(s) on {instance_type}, an instance type with no NVIDIA GPU: the "
                          "driver install fails and the device plugin finds nothing",
                          "use an NVIDIA GPU type (g6.xlarge, g5.xlarge, p5.48xlarge, ...) or gpus: 0")
        elif instance_type in GPU_COUNTS and GPU_COUNTS[instance_type] != gpus:
            yield Finding(path, f"{instance_type} has {GPU_COUNTS[instance_type]} GPU(s), not {gpus}",
                          f"set gpus: {GPU_COUNTS[instance_type]}, or pick the size with {gpus}")


def _metallb_in_vpc(cfg: StackConfig) -> Iterator[Finding]:
    if cfg.hosts.kind == "aws" and cfg.addons.metallb.enabled:
        yield Finding("addons.metallb.enabled", "MetalLB's L2 announcements (ARP) do not work in a VPC: AWS "
                      "routes by network interface, so its addresses are unreachable",
                      "disable MetalLB on AWS and expose Services through an AWS load balancer or node ports")


def _calico_on_aws(cfg: StackConfig) -> Iterator[Finding]:
    calico = cfg.addons.calico
    if cfg.hosts.kind == "aws" and calico.enabled and calico.encapsulation == "IPIP":
        yield Finding("addons.calico.encapsulation", "IPIP encapsulates pod traffic as IP protocol 4, which the "
                      "nodes' security group does not open (it opens Calico's VXLAN, udp 4789): pods on "
                      "different nodes never reach each other", "use VXLAN or VXLANCrossSubnet on AWS")


def platform_findings(cfg: StackConfig) -> list[Finding]:
    return [*_aws_gpus(cfg), *_metallb_in_vpc(cfg), *_calico_on_aws(cfg)]
