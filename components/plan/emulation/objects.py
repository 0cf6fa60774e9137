"""What an emulated stack declares outside pulumi-kubernetes, for render and check (pure).

The node group Commands apply their Nodes at deploy time; the render still writes every
one of them, and check validates a sample that stands for all.
"""
from __future__ import annotations

from components.config.emulation import node_name
from components.config.model import StackConfig
from components.plan.emulation.capacity import capacity_table
from components.plan.emulation.nodes import emulation_specs, group_nodes, node_object


def declared_objects(cfg: StackConfig) -> dict[str, list[dict]]:
    """Nodes the group Commands apply outside pulumi-kubernetes, by manifest file stem."""
    if cfg.emulation is None:
        return {}
    return {f"nodes-{spec['group']}": group_nodes(spec)
            for spec in emulation_specs(cfg.emulation, cfg.kubernetes.version)}


def validation_sample(cfg: StackConfig) -> list[dict]:
    """The first and last Node of every group and zone.

    Nodes of one zone differ only in name-derived values (name, hostname label,
    providerID, machine IDs), so these stand for all of them when validating a render
    of thousands of nodes; `declared_objects` still writes every node.
    """
    if cfg.emulation is None:
        return []
    sample = []
    for spec in emulation_specs(cfg.emulation, cfg.kubernetes.version):
        for zone, replicas in spec["zones"]:
            for index in sorted({0, replicas - 1} if replicas else set()):
                sample.append(node_object(spec, node_name(spec["group"], zone, index), zone))
    return sample


def capacity_summary(cfg: StackConfig) -> str:
    return capacity_table(cfg.emulation) if cfg.emulation is not None else ""
