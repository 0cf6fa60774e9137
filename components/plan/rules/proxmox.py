"""Rules over Proxmox hosts: node names, VM ID blocks, and where the etcd members run.

A changed `vmId` or `nodeName` replaces a VM, so IDs come from per-pool blocks that must
not overlap (growing one pool then never moves another's IDs), no two VMs share one
(overrides may pin a VM anywhere else), and a placement that loses
etcd quorum with one Proxmox node is refused unless the stack says it accepts that.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan, pool_vm_id_base


class IdBlock(NamedTuple):
    first: int
    last: int
    owner: str  # who the block belongs to, in words
    path: str  # the config key that places it

    def overlaps(self, other: "IdBlock") -> bool:
        return self.first <= other.last and other.first <= self.last


def proxmox_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    if cfg.hosts.proxmox is None or cfg.hosts.kind != "proxmox":
        return
    yield from _node_names(cfg, hosts)
    yield from _vm_id_blocks(cfg, hosts)
    yield from _quorum_on_node_loss(cfg, hosts)


def _node_names(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    px = cfg.hosts.proxmox
    nodes = set(px.nodes)
    for i, node in enumerate(px.nodes):
        if node in px.nodes[:i]:
            yield Finding(join_path("hosts", "proxmox", "nodes", i), f"Proxmox node {node!r} is listed twice",
                          "list every node once")
    for i, pool in enumerate(cfg.hosts.pools):
        for j, target in enumerate(pool.placement):
            if target not in nodes:
                yield Finding(join_path("hosts", "pools", i, "placement", j), f"{target!r} is not a Proxmox node",
                              f"use one of: {', '.join(px.nodes)}")
    for name, override in sorted(cfg.hosts.overrides.items()):
        if override.placement is not None and override.placement not in nodes:
            yield Finding(join_path("hosts", "overrides", name, "placement"),
                          f"{override.placement!r} is not a Proxmox node", f"use one of: {', '.join(px.nodes)}")


def pool_blocks(cfg: StackConfig) -> list[IdBlock]:
    """The VM ID block each pool owns, in pool order."""
    size = cfg.hosts.proxmox.vm_ids_per_pool
    blocks = []
    for i, pool in enumerate(cfg.hosts.pools):
        first = pool_vm_id_base(cfg.hosts, i)
        path = join_path("hosts", "pools", i, "vmIdBase") if pool.vm_id_base is not None else "hosts.proxmox.vmIdStart"
        blocks.append(IdBlock(first, first + size - 1, f"pool {pool.name}", path))
    return blocks


def _vm_id_blocks(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    px = cfg.hosts.proxmox
    templates = [IdBlock(px.template.vm_id + i, px.template.vm_id + i, f"the template on {node}",
                         "hosts.proxmox.template.vmId") for i, node in enumerate(px.nodes)]
    blocks = pool_blocks(cfg)
    fix = ("give each pool its own block: vmIdBase on the pool, or move vmIdStart / template.vmId "
           "(a VM whose ID changes is replaced)")
    for i, block in enumerate(blocks):
        span = f"{block.first}..{block.last}"
        for other in [*templates, *blocks[:i]]:
            if block.overlaps(other):
                yield Finding(block.path, f"the VM ID block of {block.owner} ({span}) overlaps {other.owner} "
                              f"({other.first}..{other.last})", fix)
        in_pool = sum(p.pool_index == i for p in hosts)
        if in_pool > px.vm_ids_per_pool:
            yield Finding(join_path("hosts", "pools", i, "count"),
                          f"{in_pool} hosts do not fit the pool's block of {px.vm_ids_per_pool} VM IDs ({span})",
                          "split the pool, or raise hosts.proxmox.vmIdsPerPool and pin every existing pool's "
                          "current first ID with vmIdBase so no VM ID moves")
    # Blocks that do not overlap keep pool-numbered VMs apart, so only a pinned ID can collide.
    # An override may pin a VM inside another pool's block (a VM numbered by an older
    # clusterforge keeps its ID); that pool's growth into it is refused here.
    owners: dict[int, str] = {block.first: block.owner for block in templates}
    pinned = {name for name, override in cfg.hosts.overrides.items() if override.vm_id is not None}
    for plan in hosts:
        if plan.vm_id in owners and (plan.spec.name in pinned or owners[plan.vm_id] in pinned):
            yield Finding(join_path("hosts", "overrides", plan.spec.name, "vmId"),
                          f"VM ID {plan.vm_id} of {plan.spec.name} is already used by {owners[plan.vm_id]}",
                          "give every VM its own ID (hosts.overrides.<host>.vmId); a VM that exists keeps its ID")
        owners.setdefault(plan.vm_id, plan.spec.name)


def quorum_placement_risk(cfg: StackConfig, hosts: Sequence[HostPlan]) -> str | None:
    """Why one Proxmox node's loss would break etcd quorum with this placement, or None."""
    retired = set(cfg.hosts.retire)
    plans = [p for p in hosts if p.spec.name not in retired]
    role = "etcd" if any(p.spec.role == "etcd" for p in plans) else "control-plane"
    members = [p for p in plans if p.spec.role == role]
    if len(members) < 3:
        return None  # one or two members tolerate no failure wherever they run
    tolerated = (len(members) - 1) // 2
    per_node = Counter(p.placement for p in members)
    node, held = max(sorted(per_node.items()), key=lambda item: item[1])
    if held <= tolerated:
        return None
    names = ", ".join(sorted(p.spec.name for p in members if p.placement == node))
    return (f"Proxmox node {node} runs {held} of the {len(members)} etcd members ({names}); "
            f"losing that node loses etcd quorum (a majority of {len(members) // 2 + 1} is needed)")


def _quorum_on_node_loss(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    if not cfg.hosts.proxmox.require_quorum_on_node_loss:
        return
    risk = quorum_placement_risk(cfg, hosts)
    if risk:
        yield Finding("hosts.proxmox.nodes", risk,
                      "add Proxmox nodes (at least as many as the control planes), place the control planes "
                      "on different nodes (pool placement or hosts.overrides.<host>.placement), or set "
                      "hosts.proxmox.requireQuorumOnNodeLoss: false to accept the risk")
