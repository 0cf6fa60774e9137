"""Provisioning changes in words (issue 24): per command what changes and where it runs,
which commands only record new inputs, and one diff model that text and Markdown render alike."""
from __future__ import annotations

import json
import re

import pytest

from clusterforge.diff import as_text, diff_plans, load_plan, provisioning_rows
from clusterforge.diff_markdown import comment
from clusterforge.diff_provisioning import NEW, RECORDS, RUNS, command_change
from clusterforge.render import render_stack
from clusterforge.stackfile import read_stack


def _patch_bump(stack: str) -> str:
    major, minor, patch = str(read_stack(stack).values["clusterforge:kubernetes"]["version"]).split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


PATCH_AND_LABEL = {"kubernetes.version": _patch_bump("homelab"), "hosts.overrides.worker-2.labels": {"gpu": "true"}}


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    top = tmp_path_factory.mktemp("words")

    def make(side: str, stack: str, overrides=None):
        return load_plan(render_stack(stack, top / side / stack, overrides=overrides).out)
    return make


@pytest.fixture(scope="module")
def patch_and_label(render):
    return diff_plans(render("base", "homelab"), render("patch-label", "homelab", PATCH_AND_LABEL))


def _rows(d):
    return {c.name: c for c in provisioning_rows(d)}


def test_patch_bump_and_a_worker_label_say_what_runs_where(patch_and_label):
    d = patch_and_label
    old = str(read_stack("homelab").values["clusterforge:kubernetes"]["version"])
    new = PATCH_AND_LABEL["kubernetes.version"]
    rows = _rows(d)
    assert rows["upgrade"].outcome == RUNS
    assert rows["upgrade"].line() == (f"upgrade: v{old} -> v{new}, control planes one by one then workers in "
                                      "batches of 1, each drained (6 hosts)")
    assert rows["node-config"].line() == "node-config: worker-2 label gpu=true added (1 host via cp-1)"
    # The label reaches worker-2's join documents, which re-run nothing: recorded only.
    assert rows["join-worker-2"].outcome == RECORDS
    assert "no host contacted" in rows["join-worker-2"].line()
    assert rows["reset-on-destroy"].outcome == RECORDS
    # Init re-runs its playbook only; it says so, and is no machine being replaced.
    assert rows["control-plane"].outcome == RUNS and "a running cluster skips init" in rows["control-plane"].line()
    md = comment([d])
    assert "homelab-control-plane" not in md.split("**Picture")[0]
    assert not re.search(r"inputs\.(stdin|triggers)", md) and "♻️ replace" not in md
    assert "| ▶️ runs | `node-config` | worker-2 label gpu=true added | 1 host via cp-1 |" in md
    assert d.count("replace") == 0 and d.count("add") == 0


def test_text_and_markdown_render_the_same_model(patch_and_label, render):
    chart = diff_plans(render("base", "homelab"), render("chart", "homelab", {
        "addons.charts[0].version": "2.2.4", "addons.charts[0].values": {"reloader": {"watchGlobally": False}},
        "hosts.pools[1].count": 4}))
    for d in (patch_and_label, chart):
        text, md = as_text(d), comment([d])
        assert text.splitlines()[0] == d.summary() and f"\n{d.summary()}\n" in md
        for row in provisioning_rows(d):
            assert f"  {row.line()}" in text.splitlines()
            assert f"`{row.name}`" in md
    # Chart versions, values and host counts are in the text as in the Markdown.
    text = as_text(chart)
    assert "reloader/reloader (reloader) 2.2.3 -> 2.2.4" in text
    assert "values reloader.watchGlobally: true -> false" in text
    assert "workers: 3 -> 4 (+1)" in text
    assert "join-worker-4: new host (via cp-1)" in text and "prepare-worker-4: new host" in text
    assert chart.summary().startswith("homelab: 2 to add, 1 to change, 0 to replace, 0 to remove; "
                                      "3 provisioning commands run, 2 only record new inputs, 1 new host; "
                                      "chart reloader 2.2.3 → 2.2.4; workers 3 → 4")


def test_a_node_group_label_change_is_visible(render):
    d = diff_plans(render("base", "emulated"), render("label", "emulated",
                                                       {"emulation.nodeGroups[0].nodeTemplate.metadata.labels.team": "ml"}))
    assert d.node_group_edits == ["a2-ultragpu-8g: label team=ml added (1500 nodes patched)"]
    assert "node group a2-ultragpu-8g: label team=ml added" in d.summary()
    assert "- a2-ultragpu-8g: label team=ml added (1500 nodes patched)" in comment([d])
    assert "  a2-ultragpu-8g: label team=ml added (1500 nodes patched)" in as_text(d)


def _command(name, phase, stdin, update=True):
    return {"urn": f"urn:x::{name}", "type": "command:local:Command", "name": name,
            "inputs": {"create": f"scripts/run-phase {phase} --input -", "stdin": stdin,
                       **({"update": "echo recorded"} if update else {})}}


def test_an_update_runs_only_where_the_command_has_no_update_step():
    def inv(endpoint):
        return json.dumps({"inventory": {"all": {"vars": {"client_endpoint": endpoint}, "children": {
            "k8s_cluster": {"children": {"control_plane": {"hosts": {"cp-1": {}}}}}}}}})
    old, new = _command("c-kubeconfig", "kubeconfig", inv("a:6443"), update=False), \
        _command("c-kubeconfig", "kubeconfig", inv("b:6443"), update=False)
    ran = command_change(old, new, "update", "c")
    assert ran.outcome == RUNS and ran.line() == "kubeconfig: client_endpoint a:6443 -> b:6443 (1 host: cp-1)"
    recorded = command_change(_command("c-upgrade", "upgrade", inv("a")), _command("c-upgrade", "upgrade", inv("b")),
                              "update", "c")
    assert recorded.outcome == RECORDS
    assert command_change(None, _command("join-w-1", "join", inv("a")), "add", "c").outcome == NEW
    assert command_change(old, new, "rewire", "c") is None
    assert command_change(None, {"type": "kubernetes:core/v1:Namespace", "name": "x"}, "add", "c") is None


def test_retiring_adding_and_new_sans_in_words(render):
    base = render("base", "homelab")
    retire = _rows(diff_plans(base, render("retire", "homelab", {"hosts.retire": ["worker-3"]})))
    assert retire["remove-node"].line() == ("remove-node: drains worker-3, deletes its Node (and etcd member) "
                                            "and resets it (1 host via cp-1)")
    assert retire["upgrade"].outcome == RECORDS and retire["upgrade"].what == ["hosts: -worker-3"]
    sans = _rows(diff_plans(base, render("sans", "homelab",
                                         {"kubernetes.certSans": ["k8s.home.arpa", "api.home.arpa"]})))
    assert sans["cert-sans"].line() == ("cert-sans: re-issues the API server certificate one control plane at a "
                                        "time: SAN api.home.arpa added (3 hosts)")
    joins = sans["join (cp-2, cp-3, worker-1, worker-2, worker-3)"]
    assert joins.outcome == RECORDS and joins.what == ["cert_sans: +api.home.arpa"]


def test_a_change_fixed_at_creation_says_a_deployed_stack_refuses_it(render):
    d = diff_plans(render("base", "homelab"), render("cidr", "homelab", {"kubernetes.serviceCidr": "10.112.0.0/12"}))
    init = _rows(d)["control-plane"]
    assert "ClusterConfiguration networking.serviceSubnet 10.96.0.0/12 -> 10.112.0.0/12" in init.line()
    assert "fixed at creation: a deployed stack refuses this change of kubernetes.serviceCidr" in init.what
