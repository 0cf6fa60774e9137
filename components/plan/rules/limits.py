"""Ranges and limits of values DERIVED from fields: composed names, computed ID blocks, subnet capacity,
effective volume sizes. (Each field's own range is the schema's.)

Consumers:
- Host names are `<pool>-<n>` (hosts/expand.py). cloud-init sets them as the hostname, the
  kubelet registers the Node under it, kubeadm puts it in the certificates; a hostname
  label holds at most 63 characters (RFC 1123; Linux HOST_NAME_MAX 64 with its NUL).
- kind names its node containers `<cluster>-control-plane`, `<cluster>-worker`,
  `<cluster>-worker2`, ...; they are the containers' hostnames and the Node names, so the
  same 63 applies to `hosts.kindCluster.name` plus the longest suffix.
- Proxmox VM IDs: 100 to 999999999 (`qm`), for every ID a pool's block hands out
  (`vmIdStart + i * vmIdsPerPool + n`, or `vmIdBase + n`), not only for the start.
- AWS: a subnet's first four addresses and its last are AWS's (network, VPC router, DNS,
  reserved, broadcast), so `hosts.network.cidr` holds its size less 5 instances.
- AWS: the root volume is gp3 of max(pool `size.diskGb`, `hosts.aws.rootVolumeGb`) GiB;
  EBS gp3 volumes hold 1 to 16384 GiB.
"""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.expand import pool_addresses, pool_vm_id_base

HOSTNAME_MAX = 63
PROXMOX_VM_ID_MAX = 999_999_999
GP3_MAX_GIB = 16_384
AWS_SUBNET_RESERVED = 5


def _host_names(cfg: StackConfig) -> Iterator[Finding]:
    if not cfg.uses_kubeadm:
        return
    for i, pool in enumerate(cfg.hosts.pools):
        count = len(pool_addresses(pool))
        longest = f"{pool.name}-{max(count, 1)}"
        if len(longest) > HOSTNAME_MAX:
            yield Finding(join_path("hosts", "pools", i, "name"),
                          f"host names are <pool>-<n>: {longest!r} has {len(longest)} characters, more than the "
                          f"{HOSTNAME_MAX} a hostname (and the Node's name) may have",
                          f"shorten the pool name to at most {HOSTNAME_MAX - len(str(max(count, 1))) - 1} characters")


def _kind_names(cfg: StackConfig) -> Iterator[Finding]:
    kind = cfg.hosts.kind_cluster
    if cfg.hosts.kind != "kind" or kind is None:
        return
    nodes = kind.kind_config.get("nodes") if isinstance(kind.kind_config.get("nodes"), list) else []
    workers = sum(1 for n in nodes if isinstance(n, dict) and n.get("role") == "worker")
    suffixes = ["-control-plane"] + (["-worker" + (str(workers) if workers > 1 else "")] if workers else [])
    longest = max((kind.name + s for s in suffixes), key=len)
    if len(longest) > HOSTNAME_MAX:
        yield Finding("hosts.kindCluster.name", f"kind names its node containers <name>-control-plane, "
                      f"<name>-worker<n>: {longest!r} has {len(longest)} characters, more than the {HOSTNAME_MAX} "
                      "a hostname (and the Node's name) may have",
                      f"use a name of at most {HOSTNAME_MAX - max(len(s) for s in suffixes)} characters")


def _vm_id_blocks(cfg: StackConfig) -> Iterator[Finding]:
    px = cfg.hosts.proxmox
    if cfg.hosts.kind != "proxmox" or px is None:
        return
    for i, pool in enumerate(cfg.hosts.pools):
        last = pool_vm_id_base(cfg.hosts, i) + max(len(pool_addresses(pool)), 1) - 1
        if last > PROXMOX_VM_ID_MAX:
            path = join_path("hosts", "pools", i, "vmIdBase") if pool.vm_id_base is not None else \
                "hosts.proxmox.vmIdStart"
            yield Finding(path, f"pool {pool.name!r} would get VM IDs up to {last}; Proxmox accepts at most "
                          f"{PROXMOX_VM_ID_MAX}", "start the blocks lower")


def _aws_limits(cfg: StackConfig) -> Iterator[Finding]:
    aws = cfg.hosts.aws
    if cfg.hosts.kind != "aws" or aws is None:
        return
    net = cfg.hosts.network
    hosts = sum(len(pool_addresses(pool)) for pool in cfg.hosts.pools)
    if net is not None and aws.subnet_id is None and hosts > net.cidr.num_addresses - AWS_SUBNET_RESERVED:
        yield Finding("hosts.network.cidr", f"{net.cidr} holds {net.cidr.num_addresses - AWS_SUBNET_RESERVED} "
                      f"instances (AWS reserves 5 addresses of every subnet) and the stack declares {hosts}",
                      "use a larger subnet (a smaller prefix)")
    if aws.root_volume_gb > GP3_MAX_GIB:
        yield Finding("hosts.aws.rootVolumeGb", f"{aws.root_volume_gb} GiB: an EBS gp3 volume holds at most "
                      f"{GP3_MAX_GIB} GiB", f"use at most {GP3_MAX_GIB}, and add data volumes for more")
    for i, pool in enumerate(cfg.hosts.pools):
        if pool.size.disk_gb > GP3_MAX_GIB:
            yield Finding(join_path("hosts", "pools", i, "size", "diskGb"),
                          f"{pool.size.disk_gb} GiB: an EBS gp3 volume holds at most {GP3_MAX_GIB} GiB",
                          f"use at most {GP3_MAX_GIB}")


def limit_findings(cfg: StackConfig) -> list[Finding]:
    return [*_host_names(cfg), *_kind_names(cfg), *_vm_id_blocks(cfg), *_aws_limits(cfg)]
