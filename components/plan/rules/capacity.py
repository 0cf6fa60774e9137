"""Capacity: what a role needs at least, and what must fit on some node the stack declares.

Consumers and their rules:
- kubeadm's preflight checks (`kubeadm init` and a control-plane `join`) fail with fewer than
  2 CPUs (NumCPU) or less than 1700 MB of memory (Mem, ControlPlaneMem) on a control plane.
  `hosts.pools[].size` and `hosts.overrides.<host>.size` give the VMs' sizes (Proxmox) or
  the machines' (existing); on AWS the instance type's, for the small types known to fall
  short (EC2's tables: t2/t3/t3a/t4g nano and micro, t2.small, a1.medium).
- The scheduler places a pod only on a node whose allocatable covers its requests: a notebook
  profile (`addons.jupyterhub.profiles.*`: cpu, memory, gpus) and a tenant's default requests
  (`tenants[].limits.default*Request`, which the LimitRange gives every container that says
  nothing) must fit on one node, else every such pod stays Pending. Nodes: the hosts' cores,
  memory and GPUs (the node's allocatable is less still: kube-reserved, system pods), or an
  emulated group's capacity minus reserved. Requests are compared against the largest node,
  so only what cannot fit anywhere is refused.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from components.config.base import Finding, join_path
from components.config.k8s_values import parse_quantity
from components.config.model import StackConfig

CONTROL_PLANE_MIN_CPUS = 2          # kubeadm preflight NumCPU
CONTROL_PLANE_MIN_MEMORY_MB = 1700  # kubeadm preflight ControlPlaneMem
MIB = Decimal(1024 * 1024)
# EC2 types below kubeadm's control-plane minimums: (vCPUs, memory MiB).
SMALL_INSTANCE_TYPES = {
    "t2.nano": (1, 512), "t2.micro": (1, 1024), "t2.small": (1, 2048), "a1.medium": (1, 2048),
    **{f"{family}.{size}": (2, mib) for family in ("t3", "t3a", "t4g") for size, mib in (("nano", 512), ("micro", 1024))},
}


def _size_path(cfg: StackConfig, plan, field: str) -> str:
    override = cfg.hosts.overrides.get(plan.spec.name)
    if override is not None and getattr(override.size, {"memoryMb": "memory_mb"}.get(field, field)) is not None:
        return join_path("hosts", "overrides", plan.spec.name, "size", field)
    return join_path("hosts", "pools", plan.pool_index, "size", field)


def _aws_minimums(cfg: StackConfig, hosts) -> Iterator[Finding]:
    seen: set[str] = set()
    for plan in hosts:
        if plan.spec.role != "control-plane" or plan.instance_type not in SMALL_INSTANCE_TYPES:
            continue
        override = cfg.hosts.overrides.get(plan.spec.name)
        pool = cfg.hosts.pools[plan.pool_index]
        path = (join_path("hosts", "overrides", plan.spec.name, "instanceType") if override and override.instance_type
                else join_path("hosts", "pools", plan.pool_index, "instanceType") if pool.instance_type
                else "hosts.aws.instanceType")
        cpus, mib = SMALL_INSTANCE_TYPES[plan.instance_type]
        if path not in seen:
            seen.add(path)
            yield Finding(path, f"control plane {plan.spec.name} runs on {plan.instance_type} ({cpus} vCPU, {mib} MiB); "
                          f"kubeadm's preflight checks refuse a control plane with less than {CONTROL_PLANE_MIN_CPUS} "
                          f"CPUs or {CONTROL_PLANE_MIN_MEMORY_MB} MB", "use t3.medium or larger (e.g. m7i.large)")


def _role_minimums(cfg: StackConfig, hosts) -> Iterator[Finding]:
    if cfg.hosts.kind == "aws":
        yield from _aws_minimums(cfg, hosts)
        return
    if not cfg.uses_kubeadm:
        return
    seen: set[str] = set()
    for plan in hosts:
        if plan.spec.role != "control-plane":
            continue
        for field, have, least, unit, check in (
                ("cores", plan.size.cores, CONTROL_PLANE_MIN_CPUS, "CPUs", "NumCPU"),
                ("memoryMb", plan.size.memory_mb, CONTROL_PLANE_MIN_MEMORY_MB, "MB of memory", "Mem")):
            path = _size_path(cfg, plan, field)
            if have < least and path not in seen:
                seen.add(path)
                yield Finding(path, f"control plane {plan.spec.name} gets {have} {unit}; kubeadm's preflight "
                              f"check {check} refuses a control plane with less than {least}",
                              f"give control planes at least {least} {unit}")


def node_capacities(cfg: StackConfig, hosts) -> list[tuple[str, Decimal, Decimal, int]]:
    """(node, cpus, memory bytes, gpus) of every node whose size the stack knows."""
    nodes = []
    if cfg.uses_kubeadm and cfg.hosts.kind != "aws":
        for plan in hosts:
            nodes.append((plan.spec.name, Decimal(plan.size.cores), Decimal(plan.size.memory_mb) * MIB,
                          plan.spec.gpus))
    if cfg.emulation is not None:
        for group in cfg.emulation.node_groups:
            t = group.node_template
            free = [parse_quantity(str(t.capacity.get(name, "0"))) - parse_quantity(str(t.reserved.get(name, "0")))
                    for name in ("cpu", "memory", "nvidia.com/gpu")]
            if min(free) >= 0:  # reserved over capacity is emulation_rules.py's finding
                nodes.append((f"node group {group.name}", free[0], free[1], int(free[2])))
    return nodes


def _fits(nodes, cpu: Decimal, memory: Decimal, gpus: int) -> bool:
    return any(c >= cpu and m >= memory and g >= gpus for _, c, m, g in nodes)


def _largest(nodes, gpus: int) -> str:
    pool = [n for n in nodes if n[3] >= gpus] or nodes
    name, cpu, memory, _ = max(pool, key=lambda n: (n[2], n[1]))
    return f"the largest{' GPU' if gpus else ''} node ({name}) has {cpu} CPUs and {memory / MIB / 1024:.0f}Gi"


def _requests(cfg: StackConfig) -> Iterator[tuple[str, str, str, str, int]]:
    """(path of cpu, cpu, path of memory, memory, gpus) of what must fit on one node."""
    hub = cfg.addons.jupyterhub
    if hub.enabled:
        from components.plan.addons.jupyterhub import profile_enabled

        for name in ("cpu", "gpu"):
            profile = getattr(hub.profiles, name)
            if profile_enabled(cfg, name):
                base = join_path("addons", "jupyterhub", "profiles", name)
                yield (join_path(base, "cpu"), profile.cpu, join_path(base, "memory"), profile.memory,
                       profile.gpus)
    for i, tenant in enumerate(cfg.tenants):
        base = join_path("tenants", i, "limits")
        limits = tenant.limits
        yield (join_path(base, "defaultCpuRequest"), limits.default_cpu_request,
               join_path(base, "defaultMemoryRequest"), limits.default_memory_request, 0)


def _fit_findings(cfg: StackConfig, hosts) -> Iterator[Finding]:
    nodes = node_capacities(cfg, hosts)
    if not nodes:
        return
    for cpu_path, cpu, memory_path, memory, gpus in _requests(cfg):
        try:
            cpu_q, memory_q = parse_quantity(cpu), parse_quantity(memory)
        except ValueError:
            continue  # the schema reports it
        if _fits(nodes, cpu_q, memory_q, gpus) or not any(n[3] for n in nodes) and gpus:
            continue  # no GPU node at all is datalab.py's finding
        most = max(n[3] for n in nodes)
        if gpus > most:
            yield Finding(cpu_path.rpartition(".")[0] + ".gpus", f"{gpus} GPUs fit on no node: the node with the most "
                          f"has {most}; such pods stay Pending", f"ask for at most {most}, or add a larger GPU node")
            continue
        # Name the request that fits nowhere; both when neither would.
        fits_cpu = _fits(nodes, cpu_q, Decimal(0), gpus)
        fits_memory = _fits(nodes, Decimal(0), memory_q, gpus)
        where = _largest(nodes, gpus)
        if not fits_memory or fits_cpu:
            yield Finding(memory_path, f"{memory} of memory{f' with {gpus} GPU(s)' if gpus else ''} fits on no node: "
                          f"{where}; such pods stay Pending", "ask for less, or add a larger node")
        if not fits_cpu:
            yield Finding(cpu_path, f"{cpu} CPUs{f' with {gpus} GPU(s)' if gpus else ''} fit on no node: {where}; "
                          "such pods stay Pending", "ask for less, or add a larger node")


def capacity_findings(cfg: StackConfig, hosts) -> list[Finding]:
    return [*_role_minimums(cfg, hosts), *_fit_findings(cfg, hosts)]
