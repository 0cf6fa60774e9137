"""URNs as the engine builds them (usable with `pulumi state` and `--target`), and none twice."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterforge import mockrun
from clusterforge.mockrun import DuplicateUrnError, engine_urn, run_stack
from clusterforge.stackfile import StackFile, stack_names

NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _ancestor_types(rec, reg) -> list[str]:
    types = []
    while reg.parent:
        reg = rec.by_urn(reg.parent)
        types.insert(0, reg.type)
    return [t for t in types if t != mockrun.ROOT_STACK_TYPE]


@pytest.mark.parametrize("stack", stack_names())
def test_every_urn_qualifies_its_type_by_all_ancestor_types(stack):
    rec = run_stack(stack)
    deep = 0
    for reg in rec.resources:
        stack_name, project, qualified, name = reg.urn.removeprefix("urn:pulumi:").split("::", 3)
        assert (stack_name, project, name) == (stack, "clusterforge", reg.name)
        chain = [*_ancestor_types(rec, reg), reg.type] if reg.type != mockrun.ROOT_STACK_TYPE else [reg.type]
        assert qualified == "$".join(chain), reg.urn
        deep += len(chain) > 2
    assert deep, "no resource two components deep: the test would not tell the chain from the parent"


def test_an_addon_resource_names_the_cluster_and_its_component():
    rec = run_stack("homelab")
    [ns] = [r for r in rec.of_type(NAMESPACE) if r.name == "monitoring"]
    assert ns.urn == ("urn:pulumi:homelab::clusterforge::clusterforge:index:Cluster$"
                      "clusterforge:addons:HelmAddon$kubernetes:core/v1:Namespace::monitoring")


@given(st.lists(st.from_regex(r"[a-z]{1,5}:[a-z]{1,5}:[A-Z][a-z]{0,5}", fullmatch=True), min_size=1, max_size=5))
def test_engine_urn_joins_the_whole_chain_below_the_stack(types):
    parent = engine_urn("s", "p", "", mockrun.ROOT_STACK_TYPE, "s-p")
    for i, type_ in enumerate(types):
        parent = engine_urn("s", "p", parent, type_, f"n{i}")
    assert parent == f"urn:pulumi:s::p::{'$'.join(types)}::n{len(types) - 1}"


def test_two_resources_of_one_type_and_name_under_sibling_components_fail(tmp_path):
    # The parent's name is not part of a URN: same type and name below two components clash.
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "class Box(pulumi.ComponentResource):\n"
        "    def __init__(self, name):\n"
        "        super().__init__('test:index:Box', name, None, None)\n"
        "        pulumi.CustomResource('test:index:Thing', 'same', {}, pulumi.ResourceOptions(parent=self))\n"
        "Box('a')\n"
        "Box('b')\n")
    with pytest.raises(DuplicateUrnError) as caught:
        mockrun.run_prepared(StackFile(name="dup", path=tmp_path / "Pulumi.dup.yaml"), tmp_path)
    assert caught.value.urns == ["urn:pulumi:dup::clusterforge::test:index:Box$test:index:Thing::same"]


def test_a_user_chart_in_an_addon_namespace_shares_its_one_namespace():
    chart = {"name": "extra-dashboards", "namespace": "monitoring", "repository": "https://charts.example.org",
             "chart": "dashboards", "version": "1.0.0"}
    rec = run_stack("homelab", {"addons.charts": [chart]})   # raises on a duplicate URN
    [ns] = [r for r in rec.of_type(NAMESPACE) if r.name == "monitoring"]
    assert rec.by_urn(ns.parent).name == "prometheus"        # the first addon there owns it
    [release] = [r for r in rec.of_type(RELEASE) if r.name == "extra-dashboards"]
    assert ns.urn in release.dependencies


def test_two_user_charts_in_one_new_namespace_declare_it_once_in_order():
    charts = [{"name": n, "namespace": "apps", "repository": "https://charts.example.org", "chart": n,
               "version": "1.0.0"} for n in ("first", "second")]
    rec = run_stack("onprem", {"addons.charts": charts})
    [ns] = [r for r in rec.of_type(NAMESPACE) if r.name == "apps"]
    assert rec.by_urn(ns.parent).name == "first"
    [second] = [r for r in rec.of_type(RELEASE) if r.name == "second"]
    assert ns.urn in second.dependencies


def test_a_chart_in_a_built_in_namespace_never_declares_it():
    chart = {"name": "tools", "namespace": "kube-system", "repository": "https://charts.example.org",
             "chart": "tools", "version": "1.0.0"}
    rec = run_stack("onprem", {"addons.charts": [chart]})
    assert not [r for r in rec.of_type(NAMESPACE) if r.name == "kube-system"]


def test_render_and_check_report_a_duplicate_urn_without_a_traceback(monkeypatch, capsys):
    from clusterforge import render
    from clusterforge.check import check_stack
    from clusterforge.cli import main

    def duplicate(*_args, **_kwargs):
        raise DuplicateUrnError("homelab", ["urn:pulumi:homelab::clusterforge::t::x"])

    monkeypatch.setattr(render, "render_stack", duplicate)
    assert main(["render", "homelab"]) == 1
    err = capsys.readouterr().err
    assert "registered more than once" in err and "Traceback" not in err
    monkeypatch.setattr("clusterforge.check.render_stack", duplicate)
    report = check_stack("homelab")
    assert not report.ok and "registered more than once" in report.text()
