"""The bulk-apply plan of one node group: which nodes to create, patch and delete.

Pure: (previous spec, new spec, nodes observed on the cluster) -> Plan. With observed
nodes the plan converges from any state (a half-applied earlier run, nodes deleted by
hand); without them it is the difference of the two specs, which is what a preview shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.plan.emulation.nodes import GROUP_LABEL, group_nodes
from components.plan.emulation.stages import KWOK_CONDITIONS


@dataclass(frozen=True)
class Plan:
    creates: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.creates or self.patches or self.deletes)

    def summary(self) -> str:
        return f"{len(self.creates)} to create, {len(self.patches)} to patch, {len(self.deletes)} to delete"


def _index_order(name: str) -> tuple[str, int]:
    # Deletes go highest index first, so a run cut short leaves the lowest-index nodes.
    stem, _, number = name.rpartition("-")
    return (stem, -int(number)) if number.isdigit() else (name, 0)


def _managed_view(node: dict[str, Any]) -> tuple:
    """The fields this project sets on a Node, for comparing desired with existing."""
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    extra_conditions = tuple(sorted(
        (c.get("type"), c.get("status")) for c in status.get("conditions") or []
        if c.get("type") not in KWOK_CONDITIONS))
    return (
        tuple(sorted((meta.get("labels") or {}).items())),
        tuple(sorted((meta.get("annotations") or {}).items())),
        tuple(sorted((t.get("key"), t.get("value", ""), t.get("effect")) for t in spec.get("taints") or [])),
        spec.get("providerID"),
        tuple(sorted((status.get("capacity") or {}).items())),
        tuple(sorted((status.get("allocatable") or {}).items())),
        extra_conditions,
    )


def _covers(existing: dict[str, Any], desired: dict[str, Any]) -> bool:
    """True when an existing node already carries every managed field of the desired one."""
    have, want = _managed_view(existing), _managed_view(desired)
    # Labels, annotations and taints may hold extra entries set by others (kubectl label,
    # a controller); capacity and our conditions must match exactly.
    return (set(want[0]) <= set(have[0]) and set(want[1]) <= set(have[1])
            and set(want[2]) <= set(have[2]) and have[3] == want[3]
            and have[4] == want[4] and have[5] == want[5] and set(want[6]) <= set(have[6]))


def plan(old: dict[str, Any] | None, new: dict[str, Any] | None,
         observed: list[dict[str, Any]] | None = None) -> Plan:
    """What to do so the cluster holds exactly `new`'s nodes.

    `old` is the spec applied last time (None on create), `new` the wanted spec (None on
    delete), `observed` the group's nodes as listed from the API (None: trust `old`).
    """
    desired = {n["metadata"]["name"]: n for n in group_nodes(new)} if new else {}
    previous: dict[str, dict[str, Any]] = {n["metadata"]["name"]: n for n in group_nodes(old)} if old else {}
    if observed is None:
        existing = previous
    else:
        group = (new or old or {}).get("group")
        existing = {n["metadata"]["name"]: n for n in observed
                    if group is None or (n["metadata"].get("labels") or {}).get(GROUP_LABEL) == group}

    creates, patches = [], []
    for name, node in desired.items():
        current = existing.get(name)
        if current is None:
            creates.append(node)
        elif _changed(previous.get(name), node) or (observed is not None and not _covers(current, node)):
            patches.append(node)
    deletes = sorted((name for name in existing if name not in desired), key=_index_order)
    return Plan(creates=creates, patches=patches, deletes=deletes)


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    # A label or taint removed from the spec must be patched away even though the
    # observed node still "covers" the new one.
    return before is not None and _managed_view(before) != _managed_view(after)
