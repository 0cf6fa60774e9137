"""Cross-field rules over the core sections (cluster, kubernetes, hosts).

Each rule returns findings instead of raising, so every problem is reported at once.
They take the hosts expanded once by the registry (rules/__init__.py), which runs the
other areas' rules after these.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, ip_address

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan, pool_addresses
from components.plan.rules.proxmox import proxmox_findings


def core_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    rules = (
        _network_overlaps,
        _host_kind_sections,
        _pool_shapes,
        _no_external_etcd,
        _addresses_in_network,
        _duplicate_names_and_addresses,
        _overrides_name_hosts,
        _control_plane_quorum,
        _endpoint_and_ha,
        proxmox_findings,
        _retirements,
    )
    return [finding for rule in rules for finding in rule(cfg, hosts)]


def _network_overlaps(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    k = cfg.kubernetes
    if k.pod_cidr.overlaps(k.service_cidr):
        yield Finding("kubernetes.serviceCidr", f"{k.service_cidr} overlaps the pod CIDR {k.pod_cidr}",
                      "choose disjoint ranges, e.g. podCidr 10.244.0.0/16 and serviceCidr 10.96.0.0/12")
    net = cfg.hosts.network
    if net is None:
        return
    for key, cidr in (("podCidr", k.pod_cidr), ("serviceCidr", k.service_cidr)):
        if cidr.overlaps(net.cidr):
            yield Finding(f"kubernetes.{key}", f"{cidr} overlaps the host network {net.cidr}",
                          "pick a range that no host, router or VIP uses")


def _host_kind_sections(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    h = cfg.hosts
    needs = {"proxmox": "proxmox", "aws": "aws", "kind": "kindCluster", "kwok": "kwokCluster"}
    fields = {"kindCluster": "kind_cluster", "kwokCluster": "kwok_cluster"}
    for kind, key in needs.items():
        present = getattr(h, fields.get(key, key)) is not None
        if h.kind == kind and not present:
            yield Finding(f"hosts.{key}", f"hosts.kind is {kind} but hosts.{key} is missing",
                          f"add a hosts.{key} section")
        elif h.kind != kind and present:
            yield Finding(f"hosts.{key}", f"hosts.{key} is set but hosts.kind is {h.kind}",
                          f"remove hosts.{key}, or set hosts.kind: {kind}")
    if h.kind == "kind":
        if h.pools:
            yield Finding("hosts.pools", "a kind cluster takes its nodes from hosts.kindCluster, not pools",
                          "remove hosts.pools; put the nodes in hosts.kindCluster.config")
        return
    if h.kind == "kwok":
        if h.pools:
            yield Finding("hosts.pools", "a kwok cluster has no machines: its nodes are emulation.nodeGroups",
                          "remove hosts.pools; declare the nodes in emulation.nodeGroups")
        if cfg.emulation is None or not cfg.emulation.node_groups:
            yield Finding("emulation.nodeGroups", "hosts.kind kwok emulates every node, but no node group is declared",
                          "add emulation.nodeGroups, with one small untainted group for addon pods")
        elif _any_addon(cfg) and not any(_schedulable(g) for g in cfg.emulation.node_groups):
            yield Finding("emulation.nodeGroups", "every node group is tainted, so addon pods on this kwok "
                          "cluster have nowhere to land",
                          "add a small group with fakeTaint: false and no NoSchedule/NoExecute taints")
        return
    if h.network is None and h.kind in ("proxmox", "existing"):
        yield Finding("hosts.network", f"hosts.kind {h.kind} needs the host network",
                      "add hosts.network with cidr (and gateway for Proxmox)")
    if h.kind == "proxmox" and h.network is not None and h.network.gateway is None:
        yield Finding("hosts.network.gateway", "Proxmox VMs get static addresses and need a gateway",
                      "set hosts.network.gateway")
    if not h.pools:
        yield Finding("hosts.pools", "no hosts are declared", "add at least a control-plane pool")


def _any_addon(cfg: StackConfig) -> bool:
    a = cfg.addons
    core = (a.calico, a.openebs, a.metallb, a.dashboard, a.prometheus, a.nvidia_device_plugin)
    return bool(a.charts) or any(addon.enabled for addon in core)


def _schedulable(group) -> bool:
    """A node group that pods without tolerations can land on."""
    return not group.fake_taint and all(t.effect == "PreferNoSchedule" for t in group.node_template.taints)


def _pool_shapes(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    kind = cfg.hosts.kind
    for i, pool in enumerate(cfg.hosts.pools):
        path = join_path("hosts", "pools", i)
        if pool.addresses is not None and pool.count is not None and pool.count != len(pool.addresses):
            yield Finding(join_path(path, "count"), f"count {pool.count} disagrees with {len(pool.addresses)} addresses",
                          "drop count (the addresses give it) or make them agree")
        if pool.addresses is not None and pool.first_address is not None:
            yield Finding(join_path(path, "firstAddress"), "firstAddress and addresses are both set",
                          "keep one of them")
        if pool.addresses is None and pool.count is None:
            yield Finding(join_path(path, "count"), "the pool has neither count nor addresses",
                          "set count (with firstAddress for static addresses) or list addresses")
        static = pool.addresses is not None or pool.first_address is not None
        if kind in ("proxmox", "existing") and not static and (pool.count or 0) > 0:
            key = "addresses" if kind == "existing" else "firstAddress"
            yield Finding(join_path(path, key), f"hosts of kind {kind} need static addresses",
                          f"set {key}")
        if kind == "aws" and static:
            yield Finding(join_path(path, "addresses" if pool.addresses is not None else "firstAddress"),
                          "public-cloud hosts get their addresses from the cloud",
                          "remove the static addresses")


def _no_external_etcd(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    # kubeadm here runs etcd stacked on the control planes; dedicated etcd hosts would be
    # created and counted for quorum but never get etcd, so the role is refused outright.
    for i, pool in enumerate(cfg.hosts.pools):
        if pool.role == "etcd":
            yield Finding(join_path("hosts", "pools", i, "role"),
                          "role etcd (an external etcd cluster) is not built: etcd runs on every "
                          "control-plane host (stacked etcd), and these hosts would never run it",
                          "use role control-plane (1, 3 or 5 hosts give etcd its quorum) or worker")


def _addresses_in_network(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    net = cfg.hosts.network
    if net is None:
        return
    for i, pool in enumerate(cfg.hosts.pools):
        path = join_path("hosts", "pools", i)
        if pool.addresses is not None:
            for j, address in enumerate(pool.addresses):
                if address not in net.cidr:
                    yield Finding(join_path(path, "addresses", j), f"{address} is outside the host network {net.cidr}",
                                  f"use an address inside {net.cidr}")
        elif pool.first_address is not None:
            addresses = pool_addresses(pool)
            if pool.first_address not in net.cidr:
                yield Finding(join_path(path, "firstAddress"), f"{pool.first_address} is outside the host network {net.cidr}",
                              f"use an address inside {net.cidr}")
            elif addresses and addresses[-1] not in net.cidr:
                yield Finding(join_path(path, "count"),
                              f"{pool.count} hosts from {pool.first_address} run past the host network {net.cidr}",
                              "lower count or start lower")
    for name, override in sorted(cfg.hosts.overrides.items()):
        if override.address is not None and override.address not in net.cidr:
            yield Finding(join_path("hosts", "overrides", name, "address"),
                          f"{override.address} is outside the host network {net.cidr}",
                          f"use an address inside {net.cidr}")
    if net.gateway is not None and net.gateway not in net.cidr:
        yield Finding("hosts.network.gateway", f"{net.gateway} is outside {net.cidr}",
                      "use the router's address on the host network")


def _duplicate_names_and_addresses(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    first_use: dict[str, int] = {}
    for i, pool in enumerate(cfg.hosts.pools):
        if pool.name in first_use:
            yield Finding(join_path("hosts", "pools", i, "name"),
                          f"pool name {pool.name!r} is already used by hosts.pools[{first_use[pool.name]}]",
                          "give every pool its own name")
        first_use.setdefault(pool.name, i)
    seen: dict[IPv4Address, str] = {}
    reserved: dict[IPv4Address, str] = {}
    net = cfg.hosts.network
    if net is not None and net.gateway is not None:
        reserved[net.gateway] = "the gateway"
    if cfg.kubernetes.ha.vip is not None:
        reserved[cfg.kubernetes.ha.vip] = "the control-plane VIP"
    for plan in hosts:
        if plan.address is None:
            continue
        where = address_path(cfg, plan)
        if plan.address in reserved:
            yield Finding(where, f"host {plan.spec.name} gets {plan.address}, which is {reserved[plan.address]}",
                          "move the host or the reserved address")
        elif plan.address in seen:
            yield Finding(where, f"host {plan.spec.name} gets {plan.address}, already used by {seen[plan.address]}",
                          "give every host its own address")
        else:
            seen[plan.address] = plan.spec.name


def address_path(cfg: StackConfig, plan) -> str:
    """The config path that gave a host its address."""
    override = cfg.hosts.overrides.get(plan.spec.name)
    if override is not None and override.address is not None:
        return join_path("hosts", "overrides", plan.spec.name, "address")
    if cfg.hosts.pools[plan.pool_index].addresses is not None:
        return join_path("hosts", "pools", plan.pool_index, "addresses", plan.position)
    return join_path("hosts", "pools", plan.pool_index, "firstAddress")


def _overrides_name_hosts(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    known = {plan.spec.name for plan in hosts}
    for name in sorted(cfg.hosts.overrides):
        if name not in known:
            yield Finding(join_path("hosts", "overrides", name), f"no host is named {name!r}",
                          f"use one of: {', '.join(sorted(known)) or 'no hosts declared'}")


def _control_plane_quorum(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    if not cfg.uses_kubeadm:
        return
    retired = set(cfg.hosts.retire)
    counts: Counter = Counter()
    first_pool: dict[str, int] = {}
    for plan in hosts:
        if plan.spec.name not in retired:
            counts[plan.spec.role] += 1
        first_pool.setdefault(plan.spec.role, plan.pool_index)
    if counts["control-plane"] == 0:
        if "control-plane" not in first_pool:
            yield Finding("hosts.pools", "no control-plane host is declared",
                          "add a pool with role: control-plane (1, 3 or 5 hosts)")
        return
    members = counts["control-plane"]  # stacked etcd: one member per control plane
    if members % 2 == 0 and not retired:
        yield Finding(join_path("hosts", "pools", first_pool["control-plane"], "count"),
                      f"{members} etcd members (control-plane hosts): an even count tolerates no more failures than one fewer",
                      f"use {members - 1} or {members + 1} control-plane hosts")


def _endpoint_and_ha(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    if not cfg.uses_kubeadm:
        return
    k = cfg.kubernetes
    control_planes = sum(
        len(p.addresses) if p.addresses is not None else (p.count or 0)
        for p in cfg.hosts.pools if p.role == "control-plane"
    )
    if k.ha.mode == "kube-vip":
        if k.ha.vip is None:
            yield Finding("kubernetes.ha.vip", "kube-vip needs a virtual IP", "set an unused address on the host network")
        elif cfg.hosts.network is not None and k.ha.vip not in cfg.hosts.network.cidr:
            yield Finding("kubernetes.ha.vip", f"{k.ha.vip} is outside the host network {cfg.hosts.network.cidr}",
                          "kube-vip announces the VIP with ARP: pick one inside the host network")
        if cfg.hosts.kind == "aws":
            yield Finding("kubernetes.ha.mode", "kube-vip's ARP announcements do not work in a VPC",
                          "use mode: external with a cloud load balancer as controlPlaneEndpoint")
    if k.ha.mode == "external" and k.control_plane_endpoint is None:
        yield Finding("kubernetes.controlPlaneEndpoint", "ha.mode external needs the load balancer's address",
                      "set controlPlaneEndpoint.host (and port)")
    if control_planes > 1 and k.ha.mode == "none":
        yield Finding("kubernetes.ha.mode", f"{control_planes} control-plane hosts but no shared endpoint",
                      "set ha.mode: kube-vip with a vip, or external with controlPlaneEndpoint")
    if k.ha.vip is not None and k.control_plane_endpoint is not None:
        try:
            same = ip_address(k.control_plane_endpoint.host) == k.ha.vip
        except ValueError:
            same = True  # a DNS name may well resolve to the VIP
        if not same:
            yield Finding("kubernetes.controlPlaneEndpoint.host",
                          f"{k.control_plane_endpoint.host} differs from the kube-vip address {k.ha.vip}",
                          "drop controlPlaneEndpoint (it defaults to the VIP) or make them agree")


def _retirements(cfg: StackConfig, hosts: Sequence[HostPlan]) -> Iterator[Finding]:
    plans = {plan.spec.name: plan for plan in hosts}
    for i, name in enumerate(cfg.hosts.retire):
        if name not in plans:
            yield Finding(join_path("hosts", "retire", i), f"no host is named {name!r}",
                          "name a host the pools declare (retire it before lowering the count)")
    if not cfg.uses_kubeadm:
        return
    retired = set(cfg.hosts.retire)
    members = [p for p in plans.values() if p.spec.role == "control-plane"]  # stacked etcd
    staying = [p for p in members if p.spec.name not in retired]
    if retired & {p.spec.name for p in members}:
        if not staying:
            yield Finding("hosts.retire", "retiring every control-plane host leaves no cluster",
                          "keep at least one control-plane host")
        elif len(staying) % 2 == 0:
            yield Finding("hosts.retire", f"{len(staying)} control-plane hosts would remain: an even etcd count",
                          "retire one more or one fewer, or add a replacement first")
