"""The render's picture: components as clusters, each dependency once, nothing implied drawn."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.graph import direct_dependencies, dot, edges, mermaid, reduce_transitively, split
from clusterforge.render import render_stack


def reach(deps, start):
    seen, todo = set(), list(deps.get(start, ()))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(deps.get(n, ()))
    return seen


@st.composite
def dags(draw):
    n = draw(st.integers(1, 12))
    # Edges only from lower to higher numbers: always acyclic.
    return {str(i): {str(j) for j in range(i) if draw(st.booleans())} for i in range(n)}


@settings(max_examples=200, deadline=None)
@given(dags())
def test_reduction_keeps_reachability_and_drops_every_implied_edge(deps):
    reduced = reduce_transitively(deps)
    for node in deps:
        assert reach(reduced, node) == reach(deps, node)
        for dep in reduced[node]:
            # No other path from node to dep: removing the edge would lose it.
            without = {**reduced, node: reduced[node] - {dep}}
            assert dep not in reach(without, node)


def test_homelab_graph_is_clustered_and_reduced(tmp_path):
    out = render_stack("homelab", tmp_path / "homelab").out
    entries = json.loads((out / "plan.json").read_text())["resources"]
    text = (out / "graph.dot").read_text()
    deps = direct_dependencies(entries)
    drawn = edges(entries)
    assert len(drawn) < sum(len(v) for v in deps.values()) / 3  # the hairball was 150 edges
    assert text.count(" -> ") == len(drawn) == len(set(drawn))
    assert "dashed" not in text and 'rankdir="LR"' in text
    for label in ("HelmAddon calico", "HelmAddon dashboard", "ProxmoxHosts proxmox"):
        assert f'label="{label}"' in text
    # Every dependency is still implied by the drawing.
    reduced = reduce_transitively(deps)
    for urn, wanted in deps.items():
        assert wanted <= reach(reduced, urn)


def _entry(urn, type_, parent="", deps=()):
    return {"urn": urn, "type": type_, "name": urn.rsplit("::", 1)[-1], "parent": parent, "dependencies": list(deps)}


def test_mermaid_colours_what_changed_and_shows_neighbours():
    comp = "urn:pulumi:s::p::clusterforge:addons:HelmAddon::calico"
    a = _entry("urn:pulumi:s::p::t:index:A::a", "t:index:A")
    b = _entry("urn:pulumi:s::p::t:index:B::b", "t:index:B", comp, [a["urn"]])
    c = _entry("urn:pulumi:s::p::t:index:C::c", "t:index:C", comp, [b["urn"], a["urn"]])
    far = _entry("urn:pulumi:s::p::t:index:F::far", "t:index:F")
    entries = [_entry(comp, "clusterforge:addons:HelmAddon"), a, b, c, far]
    assert split(entries)[1].keys() == {comp}
    text = mermaid(entries, {b["urn"]: "replace", c["urn"]: "add"})
    assert text.startswith("flowchart LR") and 'subgraph g0["HelmAddon calico"]' in text
    assert ":::replace" in text and ":::add" in text and ":::context" in text
    assert "far" not in text  # not a neighbour of anything changed
    assert text.count("-->") == 2  # a->b, b->c; a->c is implied
    assert "classDef remove" not in text
    assert mermaid(entries, {}) == ""


def test_dot_is_identical_for_any_entry_order():
    entries = [_entry("urn:pulumi:s::p::t:index:A::a", "t:index:A"),
               _entry("urn:pulumi:s::p::t:index:B::b", "t:index:B", deps=["urn:pulumi:s::p::t:index:A::a"])]
    assert dot(entries) == dot(list(reversed(entries)))
