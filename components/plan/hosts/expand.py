"""Pools and overrides -> the planned list of hosts (pure).

Names are `{pool}-{index}` from 1; static addresses count up from `firstAddress`
or come from `addresses`; Proxmox VM IDs count up from the pool's own block (see
`pool_vm_id_base`), so no pool's growth moves another's, and placement is round-robin
over the pool's Proxmox nodes, unless a host override says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from components.config.hosts import HostsConfig, Pool, Size
from components.plan.hosts.spec import GPU_PRESENT_LABEL, KNOWN_AFTER_APPLY, HostSpec, Taint

if TYPE_CHECKING:
    from components.config.model import StackConfig


@dataclass(frozen=True)
class HostPlan:
    """One planned machine: the common shape plus what its host kind needs."""

    spec: HostSpec
    pool: str
    pool_index: int  # position of the pool in `hosts.pools`
    position: int  # position of the host in its pool, from 0
    size: Size
    address: IPv4Address | None  # static address, None when the cloud assigns one
    vm_id: int | None = None  # Proxmox only
    placement: str | None = None  # Proxmox node
    instance_type: str | None = None  # public cloud only

    # The common fields, so a plan reads like its HostSpec.
    name = property(lambda self: self.spec.name)
    role = property(lambda self: self.spec.role)
    ssh_address = property(lambda self: self.spec.ssh_address)
    internal_address = property(lambda self: self.spec.internal_address)


def pool_addresses(pool: Pool) -> list[IPv4Address | None]:
    """The static addresses of a pool's hosts, in index order (None: not static)."""
    if pool.addresses is not None:
        return list(pool.addresses)
    count = pool.count or 0
    if pool.first_address is None:
        return [None] * count
    return [pool.first_address + i for i in range(count)]


def pool_vm_id_base(hosts: HostsConfig, pool_index: int) -> int:
    """First VM ID of a pool's block: its `vmIdBase`, else `vmIdStart` + index * block size."""
    px = hosts.proxmox
    pool = hosts.pools[pool_index]
    if pool.vm_id_base is not None:
        return pool.vm_id_base
    return px.vm_id_start + pool_index * px.vm_ids_per_pool


def expand_hosts(config: HostsConfig | StackConfig) -> list[HostPlan]:
    """Accepts the `hosts` section or the whole stack config."""
    hosts: HostsConfig = getattr(config, "hosts", config)
    plans: list[HostPlan] = []
    proxmox_nodes = hosts.proxmox.nodes if hosts.proxmox else []
    for pool_index, pool in enumerate(hosts.pools):
        targets = pool.placement or proxmox_nodes
        for i, address in enumerate(pool_addresses(pool)):
            name = f"{pool.name}-{i + 1}"
            override = hosts.overrides.get(name)
            if override and override.address is not None:
                address = override.address
            size = pool.size
            labels = dict(pool.labels)
            gpus = pool.gpus
            placement = targets[i % len(targets)] if targets else None
            vm_id = pool_vm_id_base(hosts, pool_index) + i if hosts.proxmox else None
            instance_type = pool.instance_type or (hosts.aws.instance_type if hosts.aws else None)
            if override:
                size = Size(**{**size.model_dump(), **override.size.model_dump(exclude_none=True)})
                labels.update(override.labels)
                gpus = override.gpus if override.gpus is not None else gpus
                placement = override.placement or placement
                vm_id = override.vm_id or vm_id
                instance_type = override.instance_type or instance_type
            if gpus:  # what the NVIDIA device plugin's node selector looks for
                labels.setdefault(GPU_PRESENT_LABEL, "true")
            shown = str(address) if address is not None else KNOWN_AFTER_APPLY
            spec = HostSpec(
                name=name,
                role=pool.role,
                ssh_address=shown,
                internal_address=shown,
                ssh_user=hosts.ssh.user,
                labels=labels,
                taints=tuple(Taint(t.key, t.effect, t.value) for t in pool.taints),
                cpus=size.cores,
                memory_mb=size.memory_mb,
                gpus=gpus,
            )
            plans.append(
                HostPlan(
                    spec=spec,
                    pool=pool.name,
                    pool_index=pool_index,
                    position=i,
                    size=size,
                    address=address,
                    vm_id=vm_id if hosts.kind == "proxmox" else None,
                    placement=placement if hosts.kind == "proxmox" else None,
                    instance_type=instance_type if hosts.kind == "aws" else None,
                )
            )
    return plans


def protected(cfg: "StackConfig", plan: HostPlan) -> bool:
    """Whether a machine is protected against deletion: an etcd member not being retired,
    while cluster.protect is on (dropping one from config must be deliberate)."""
    return (cfg.cluster.protect and plan.spec.role in ("control-plane", "etcd")
            and plan.spec.name not in cfg.hosts.retire)


def host_specs(config: HostsConfig | StackConfig) -> list[HostSpec]:
    return [plan.spec for plan in expand_hosts(config)]
