"""KWOK fake nodes, generated from a compact node-group spec.

The compact spec (`group_spec`) is what travels through Pulumi: a few hundred bytes per
group whatever its replica count. `group_nodes` expands it into Node objects, both at
render time and inside the apply command, so the two can never disagree.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Iterator

from kubernetes.utils.quantity import format_quantity as k8s_format_quantity

from components.config.emulation import EmulationConfig, NodeGroup, node_name, parse_quantity

FAKE_KEY = "kwok.x-k8s.io/node"
FAKE_VALUE = "fake"
GROUP_LABEL = "clusterforge.io/node-group"
MANAGED_BY = ("app.kubernetes.io/managed-by", "clusterforge")
HOSTNAME_LABEL = "kubernetes.io/hostname"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
SPEC_VERSION = 1
# Stable machine IDs: renders stay byte-identical, re-applies change nothing.
_MACHINE_NS = uuid.UUID("6f0b5c1e-4d0a-5b7e-9a57-6b7775636c75")

_BINARY_SUFFIXES = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def format_quantity(value: Decimal, like: str) -> str:
    """Canonical text of a quantity, in binary suffixes when `like` used them (the
    Kubernetes client's formatter; this only picks the suffix)."""
    if value == value.to_integral_value():
        whole = int(value)
        if any(like.endswith(s) for s, _ in _BINARY_SUFFIXES) and whole:
            for suffix, size in _BINARY_SUFFIXES:
                if whole % size == 0:
                    return k8s_format_quantity(Decimal(whole), suffix, quantize=Decimal(1))
        return k8s_format_quantity(Decimal(whole), "")
    millis = value * 1000
    return k8s_format_quantity(value, "m" if millis == millis.to_integral_value() else "n", quantize=Decimal(1))


def allocatable(capacity: dict[str, str], reserved: dict[str, str]) -> dict[str, str]:
    """capacity - reserved, per resource (findings already reject reserved > capacity)."""
    out = {}
    for name, amount in capacity.items():
        if name in reserved:
            out[name] = format_quantity(parse_quantity(amount) - parse_quantity(reserved[name]), amount)
        else:
            out[name] = amount
    return out


def group_spec(group: NodeGroup, region: str | None, kubelet_version: str) -> dict[str, Any]:
    """The compact, JSON-serialisable description of one node group."""
    template = group.node_template
    spec: dict[str, Any] = {
        "version": SPEC_VERSION,
        "group": group.name,
        "instanceType": group.instance_type or group.name,
        "region": group.region or region or "",
        "zones": [[p.availability_zone, p.replicas] for p in group.placement],
        "labels": dict(sorted(template.metadata.labels.items())),
        "annotations": dict(sorted(template.metadata.annotations.items())),
        "taints": [t.model_dump() for t in template.taints],
        "capacity": dict(sorted(template.capacity.items())),
        "allocatable": dict(sorted(allocatable(template.capacity, template.reserved).items())),
        "architecture": template.architecture,
        "operatingSystem": template.operating_system,
        "conditions": [c.model_dump() for c in template.conditions],
        "kubeletVersion": kubelet_version if kubelet_version.startswith("v") else f"v{kubelet_version}",
    }
    if not group.fake_taint:  # only when off, so the specs of existing groups stay as they were
        spec["fakeTaint"] = False
    return spec


def emulation_specs(cfg: EmulationConfig, kubelet_version: str) -> list[dict[str, Any]]:
    return [group_spec(g, cfg.region, kubelet_version) for g in cfg.node_groups]


def node_names(spec: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(name, zone, index) of every node of the group, zone by zone, index from 0."""
    for zone, replicas in spec["zones"]:
        for index in range(replicas):
            yield node_name(spec["group"], zone, index), zone, index


def node_labels(spec: dict[str, Any], name: str, zone: str) -> dict[str, str]:
    # Template labels first; the identity labels below win so a template cannot
    # break zone or hostname.
    labels = dict(spec["labels"])
    labels.update({
        "type": "kwok",
        MANAGED_BY[0]: MANAGED_BY[1],
        GROUP_LABEL: spec["group"],
        HOSTNAME_LABEL: name,
        INSTANCE_TYPE_LABEL: spec["instanceType"],
        ZONE_LABEL: zone,
        "kubernetes.io/arch": spec["architecture"],
        "kubernetes.io/os": spec["operatingSystem"],
    })
    if spec["region"]:
        labels[REGION_LABEL] = spec["region"]
    return labels


def node_taints(spec: dict[str, Any]) -> list[dict[str, str]]:
    taints = [{"key": FAKE_KEY, "value": FAKE_VALUE, "effect": "NoSchedule"}] if spec.get("fakeTaint", True) else []
    taints += [{"key": t["key"], "value": t["value"], "effect": t["effect"]} for t in spec["taints"]]
    return taints


def node_object(spec: dict[str, Any], name: str, zone: str) -> dict[str, Any]:
    """One Node; every nested value is a fresh object (YAML dumps no aliases)."""
    machine = uuid.uuid5(_MACHINE_NS, name)
    status: dict[str, Any] = {
        "capacity": dict(spec["capacity"]),
        "allocatable": dict(spec["allocatable"]),
        "nodeInfo": {
            "architecture": spec["architecture"],
            "operatingSystem": spec["operatingSystem"],
            "kubeletVersion": spec["kubeletVersion"],
            "kubeProxyVersion": spec["kubeletVersion"],
            "containerRuntimeVersion": "kwok",
            "kernelVersion": "kwok",
            "osImage": "kwok",
            "machineID": machine.hex,
            "systemUUID": str(machine),
            "bootID": "",
        },
    }
    if spec["conditions"]:
        status["conditions"] = [
            {"type": c["type"], "status": c["status"], "reason": c["reason"], "message": c["message"]}
            for c in spec["conditions"]
        ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": node_labels(spec, name, zone),
            "annotations": {**spec["annotations"], FAKE_KEY: FAKE_VALUE},
        },
        "spec": {"providerID": f"kwok://{name}", "taints": node_taints(spec)},
        "status": status,
    }


def group_nodes(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [node_object(spec, name, zone) for name, zone, _ in node_names(spec)]
