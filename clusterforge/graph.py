"""The dependency picture of a render: what `graph.dot` draws and the PR comment's Mermaid block.

Drawn from plan.json entries so a render and a diff share one reading of the graph:
components are boxes around their resources (not edges), each dependency is drawn once
(the transitive reduction: an edge implied by a longer path is left out), and stages run
left to right because every edge points from a dependency to what waits for it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache

STACK_TYPE = "pulumi:pulumi:Stack"
# The root component holds everything; a box around the whole picture adds nothing.
ROOT_COMPONENT = "clusterforge:index:Cluster"

Entry = Mapping  # one plan.json resource: urn, type, name, parent, dependencies, ...


def is_component(entry: Entry, parents: set[str]) -> bool:
    return entry["type"] == STACK_TYPE or entry["type"].startswith("clusterforge:") or entry["urn"] in parents


def short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def split(entries: Sequence[Entry]) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """(resources, components) by URN."""
    parents = {e.get("parent", "") for e in entries}
    resources, components = {}, {}
    for e in entries:
        (components if is_component(e, parents) else resources)[e["urn"]] = e
    return resources, components


def box_of(entry: Entry, components: Mapping[str, Entry]) -> str:
    """The component a resource is drawn inside ('' for none)."""
    parent = entry.get("parent", "")
    if parent in components and components[parent]["type"] not in (STACK_TYPE, ROOT_COMPONENT):
        return parent
    return ""


def direct_dependencies(entries: Sequence[Entry]) -> dict[str, set[str]]:
    """Resource -> the resources it waits for; a dependency on a component means its resources."""
    resources, components = split(entries)
    children: dict[str, set[str]] = {}
    for e in entries:
        children.setdefault(e.get("parent", ""), set()).add(e["urn"])

    def expand(urn: str) -> set[str]:
        if urn in resources:
            return {urn}
        found: set[str] = set()
        for child in children.get(urn, ()):
            found |= expand(child)
        return found

    deps: dict[str, set[str]] = {}
    for urn, e in resources.items():
        wanted: set[str] = set()
        for dep in e.get("dependencies", ()):
            wanted |= expand(dep)
        deps[urn] = wanted - {urn}
    return deps


def reduce_transitively(deps: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Keep an edge only when no other dependency of the same resource already implies it."""

    @cache
    def reach(urn: str) -> frozenset[str]:
        out: set[str] = set()
        for dep in deps.get(urn, ()):
            out.add(dep)
            out |= reach(dep)
        return frozenset(out)

    reduced = {}
    for urn, direct in deps.items():
        implied = set().union(*(reach(d) for d in direct)) if direct else set()
        reduced[urn] = {d for d in direct if d not in implied}
    return reduced


def edges(entries: Sequence[Entry]) -> list[tuple[str, str]]:
    """(dependency, dependent) pairs of the reduced graph, sorted."""
    reduced = reduce_transitively(direct_dependencies(entries))
    return sorted((dep, urn) for urn, deps in reduced.items() for dep in deps)


def _quote(text: str) -> str:
    return text.replace("\\", "/").replace('"', "'")


def _label(entry: Entry, sep: str) -> str:
    return f"{_quote(short_type(entry['type']))}{sep}{_quote(entry['name'])}"


def _boxes(urns: Iterable[str], resources: Mapping[str, Entry], components: Mapping[str, Entry]) -> dict[str, list[str]]:
    """Component URN ('' for none) -> the resources drawn inside it, sorted."""
    boxes: dict[str, list[str]] = {}
    for urn in sorted(urns):
        boxes.setdefault(box_of(resources[urn], components), []).append(urn)
    return boxes


def dot(entries: Sequence[Entry]) -> str:
    """Graphviz source: one cluster per component, reduced edges, left to right."""
    resources, components = split(entries)
    ids = {urn: f"r{i}" for i, urn in enumerate(sorted(resources))}
    boxes = _boxes(resources, resources, components)
    lines = ["digraph clusterforge {", '  rankdir="LR"; newrank=true; ranksep=0.6; nodesep=0.25;',
             '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica", fontsize=10];',
             '  edge [color="#5b6b7f", arrowsize=0.6];']

    def node(urn: str, indent: str) -> str:
        return f'{indent}{ids[urn]} [label="{_label(resources[urn], chr(92) + "n")}"];'

    lines += [node(urn, "  ") for urn in boxes.get("", [])]
    for n, box in enumerate(sorted(b for b in boxes if b)):
        c = components[box]
        lines += [f"  subgraph cluster_{n} {{",
                  f'    label="{_label(c, " ")}"; style="rounded,filled";'
                  ' fillcolor="#fafafa"; color="#c8d1dc"; fontname="Helvetica"; fontsize=11;',
                  *(node(urn, "    ") for urn in boxes[box]), "  }"]
    lines += [f"  {ids[a]} -> {ids[b]};" for a, b in edges(entries)]
    lines.append("}")
    return "\n".join(lines) + "\n"


# Mermaid classes for what a change does to a resource (GitHub renders ```mermaid blocks).
CHANGE_STYLES = {
    "add": "fill:#dcfce7,stroke:#15803d,color:#14532d",
    "change": "fill:#fef9c3,stroke:#a16207,color:#713f12",
    "replace": "fill:#ffedd5,stroke:#c2410c,color:#7c2d12",
    "remove": "fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d,stroke-dasharray:4 3",
    "context": "fill:#f3f4f6,stroke:#9ca3af,color:#4b5563",
}
MAX_CONTEXT = 24  # unchanged neighbours drawn for orientation, at most


def mermaid(entries: Sequence[Entry], status: Mapping[str, str]) -> str:
    """A flowchart of the changed resources (by `status`: add/change/replace/remove) and
    their unchanged direct neighbours, in component boxes; '' when nothing changed."""
    resources, components = split(entries)
    changed = {u for u in status if u in resources}
    if not changed:
        return ""
    reduced = edges(entries)
    near = sorted({a for a, b in reduced if b in changed} | {b for a, b in reduced if a in changed})
    shown = changed | set([u for u in near if u not in changed][:MAX_CONTEXT])
    ids = {urn: f"n{i}" for i, urn in enumerate(sorted(shown))}
    boxes = _boxes(shown, resources, components)
    lines = ["flowchart LR"]

    def node(urn: str, indent: str) -> str:
        return f'{indent}{ids[urn]}["{_label(resources[urn], "<br/>")}"]:::{status.get(urn, "context")}'

    lines += [node(u, "  ") for u in boxes.get("", [])]
    for n, box in enumerate(sorted(b for b in boxes if b)):
        c = components[box]
        lines += [f'  subgraph g{n}["{_label(c, " ")}"]',
                  *(node(u, "    ") for u in boxes[box]), "  end"]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in reduced if a in shown and b in shown]
    used = {status.get(u, "context") for u in shown}
    lines += [f"  classDef {name} {style}" for name, style in CHANGE_STYLES.items() if name in used]
    return "\n".join(lines) + "\n"


def union(old: Iterable[Entry], new: Iterable[Entry]) -> list[Entry]:
    """New entries plus those only in the old plan: a removed resource still has a place."""
    merged = {e["urn"]: e for e in old}
    merged.update({e["urn"]: e for e in new})
    return [merged[u] for u in sorted(merged)]
