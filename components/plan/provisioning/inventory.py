"""The Ansible inventory for a set of hosts (pure and deterministic).

Shape (YAML-able; `clusterforge render` writes it as inventory.yaml):

    all:
      vars: {...playbook_vars...}
      children:
        k8s_cluster: {children: {control_plane: {hosts: ...}, workers: {hosts: ...}}}
        etcd: {hosts: ...}
        nvidia_gpu: {hosts: ...}
        retiring: {hosts: ...}

Every host's vars (ansible_host, ansible_user, internal_address, node_labels, node_taints) sit
in its role group. `etcd` holds the etcd members: etcd is stacked on the control planes (the
config refuses dedicated etcd hosts), listed by name only so their vars stay in one place. `retiring` holds the
hosts listed in `hosts.retire`: they leave the cluster (remove-node) and are in no other group,
so no other phase touches them; `node_role` tells which of them held an etcd member.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.plan.hosts.spec import HostSpec

_GROUP_OF_ROLE = {"control-plane": "control_plane", "worker": "workers"}


def host_vars(host: HostSpec) -> dict[str, Any]:
    return {
        "ansible_host": host.ssh_address,
        "ansible_user": host.ssh_user,
        "internal_address": host.internal_address,
        "node_labels": dict(sorted(host.labels.items())),
        "node_taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in host.taints],
    }


def build_inventory(hosts: Sequence[HostSpec], group_vars: Mapping[str, Any],
                    retiring: Sequence[HostSpec] = ()) -> dict[str, Any]:
    names = [h.name for h in (*hosts, *retiring)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"inventory: host names must be unique, repeated: {', '.join(duplicates)}")
    others = sorted(f"{h.name} ({h.role})" for h in (*hosts, *retiring) if h.role not in _GROUP_OF_ROLE)
    if others:
        raise ValueError(f"inventory: only control-plane and worker hosts are built (etcd is stacked on "
                         f"the control planes): {', '.join(others)}")
    groups: dict[str, dict[str, Any]] = {"control_plane": {}, "workers": {}}
    for host in sorted(hosts, key=lambda h: h.name):
        groups[_GROUP_OF_ROLE[host.role]][host.name] = host_vars(host)
    etcd = {name: None for name in groups["control_plane"]}
    return {"all": {
        "vars": dict(sorted(group_vars.items())),
        "children": {
            "k8s_cluster": {"children": {"control_plane": {"hosts": groups["control_plane"]},
                                         "workers": {"hosts": groups["workers"]}}},
            "etcd": {"hosts": etcd},
            "nvidia_gpu": {"hosts": {h.name: None for h in sorted(hosts, key=lambda h: h.name) if h.gpus}},
            "retiring": {"hosts": {h.name: {**host_vars(h), "node_role": h.role}
                                   for h in sorted(retiring, key=lambda h: h.name)}},
        },
    }}


def inventory_hosts(inventory: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """host name -> vars, read back from an inventory built here (for runners and tests)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(group: Mapping[str, Any]) -> None:
        for name, hvars in (group.get("hosts") or {}).items():
            found.setdefault(name, {}).update(hvars or {})
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(inventory["all"])
    return found
