"""The Ansible inventory for a set of hosts (pure and deterministic)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..hosts.spec import HostSpec

_GROUP_OF_ROLE = {"control-plane": "control_plane", "worker": "workers", "etcd": "etcd"}


def build_inventory(hosts: Sequence[HostSpec], group_vars: Mapping[str, Any]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {"control_plane": {}, "workers": {}, "etcd": {}}
    for host in sorted(hosts, key=lambda h: h.name):
        groups[_GROUP_OF_ROLE[host.role]][host.name] = {
            "ansible_host": host.ssh_address,
            "ansible_user": host.ssh_user,
            "internal_address": host.internal_address,
            "node_labels": dict(sorted(host.labels.items())),
            "node_taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in host.taints],
        }
    children = {name: {"hosts": members} for name, members in groups.items() if members}
    return {"all": {"vars": dict(group_vars),
                    "children": {"k8s_cluster": {"children": children}}}}
