"""The bulk-apply plan (pure) and the apply loop against an in-memory API server double."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.emulation import apply as apply_mod
from components.plan.emulation.nodes import emulation_specs, group_nodes
from components.plan.emulation.planner import plan

from .helpers import KUBERNETES_VERSION, emulation, group


def spec_of(zones: dict[str, int], **template) -> dict:
    return emulation_specs(emulation(group("a100", zones, **template)), KUBERNETES_VERSION)[0]


def names(nodes) -> list[str]:
    return [n["metadata"]["name"] for n in nodes]


class FakeNodeApi:
    """Test double of the API server's Node endpoints: a dict of nodes, optional failures."""

    def __init__(self, fail_on: set[str] | None = None):
        self.nodes: dict[str, dict] = {}
        self.fail_on = set(fail_on or ())
        self.calls: list[tuple[str, str]] = []

    def list_group(self, group: str) -> list[dict]:
        return [copy.deepcopy(n) for n in self.nodes.values()
                if n["metadata"]["labels"].get("clusterforge.io/node-group") == group]

    def _check(self, op: str, name: str) -> None:
        self.calls.append((op, name))
        if name in self.fail_on:
            raise RuntimeError(f"simulated API error on {name}")

    def apply(self, node: dict) -> None:
        name = node["metadata"]["name"]
        self._check("apply", name)
        current = self.nodes.setdefault(name, {"metadata": {"name": name}, "status": {}})
        # Server-side apply by the one manager: the applied fields replace its previous ones.
        current["metadata"] = copy.deepcopy(node["metadata"])
        current["spec"] = copy.deepcopy(node["spec"])

    def apply_status(self, node: dict) -> None:
        name = node["metadata"]["name"]
        self._check("status", name)
        self.nodes[name]["status"] = copy.deepcopy(node["status"])

    def create(self, node: dict) -> None:
        # Server-side apply that creates the object keeps the status it carries.
        name = node["metadata"]["name"]
        self._check("create", name)
        self.nodes[name] = {"metadata": copy.deepcopy(node["metadata"]), "spec": copy.deepcopy(node["spec"]),
                            "status": copy.deepcopy(node["status"])}

    def delete(self, name: str) -> None:
        self._check("delete", name)
        self.nodes.pop(name, None)


def test_create_from_nothing_creates_every_node():
    new = spec_of({"use1": 3, "use2": 2})
    p = plan(None, new)
    assert names(p.creates) == ["a100-use1-0", "a100-use1-1", "a100-use1-2", "a100-use2-0", "a100-use2-1"]
    assert p.patches == [] and p.deletes == []


def test_unchanged_spec_plans_nothing():
    spec = spec_of({"use1": 500})
    assert plan(spec, copy.deepcopy(spec)).empty
    assert plan(spec, spec, group_nodes(spec)).empty


def test_scale_down_deletes_exactly_the_highest_indexes_of_that_zone():
    old = spec_of({"use1": 500, "use2": 500})
    new = spec_of({"use1": 400, "use2": 500})
    for observed in (None, group_nodes(old)):
        p = plan(old, new, observed)
        assert p.creates == [] and p.patches == []
        assert p.deletes == [f"a100-use1-{i}" for i in range(499, 399, -1)]


def test_scale_up_creates_only_the_new_indexes():
    p = plan(spec_of({"use1": 2}), spec_of({"use1": 4}))
    assert names(p.creates) == ["a100-use1-2", "a100-use1-3"] and p.deletes == []


def test_zone_rename_moves_nodes():
    old, new = spec_of({"use1": 2, "use2": 1}), spec_of({"use1": 2, "usw1": 1})
    p = plan(old, new, group_nodes(old))
    assert names(p.creates) == ["a100-usw1-0"] and p.deletes == ["a100-use2-0"] and p.patches == []


def test_label_change_patches_every_node_of_the_group():
    old = spec_of({"use1": 2, "use2": 2}, metadata={"labels": {"tier": "a"}})
    new = spec_of({"use1": 2, "use2": 2}, metadata={"labels": {"tier": "b"}})
    p = plan(old, new, group_nodes(old))
    assert len(p.patches) == 4 and p.creates == [] and p.deletes == []
    assert all(n["metadata"]["labels"]["tier"] == "b" for n in p.patches)


def test_removed_label_is_patched_even_though_the_node_still_covers_the_new_one():
    old = spec_of({"use1": 1}, metadata={"labels": {"tier": "a"}})
    new = spec_of({"use1": 1})
    assert len(plan(old, new, group_nodes(old)).patches) == 1


def test_labels_added_by_others_do_not_cause_patches():
    spec = spec_of({"use1": 2})
    observed = group_nodes(spec)
    observed[0]["metadata"]["labels"]["example.com/added-by-hand"] = "yes"
    observed[1]["metadata"].setdefault("annotations", {})["node.alpha.kubernetes.io/ttl"] = "0"
    assert plan(spec, spec, observed).empty


def test_observed_drift_is_repaired():
    spec = spec_of({"use1": 3})
    observed = group_nodes(spec)
    del observed[1]  # deleted by hand
    observed[0]["status"]["capacity"]["nvidia.com/gpu"] = "4"  # edited by hand
    p = plan(spec, spec, observed)
    assert names(p.creates) == ["a100-use1-1"] and names(p.patches) == ["a100-use1-0"]


def test_delete_plan_removes_the_group():
    old = spec_of({"use1": 2})
    assert plan(old, None, group_nodes(old)).deletes == ["a100-use1-1", "a100-use1-0"]


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["use1", "use2", "use3", "usw1"]), st.integers(0, 30), min_size=1),
       st.dictionaries(st.sampled_from(["use1", "use2", "use3", "usw1"]), st.integers(0, 30), min_size=1),
       st.sets(st.integers(0, 200), max_size=10))
def test_converge_from_any_spec_to_any_spec_even_after_failures(before, after, failing):
    old, new = spec_of(before), spec_of(after)
    api = FakeNodeApi()
    assert apply_mod.converge(api, None, old, "a100").ok
    wanted = set(names(group_nodes(new)))
    all_names = sorted(set(api.nodes) | wanted)
    api.fail_on = {all_names[i] for i in failing if i < len(all_names)}
    first = apply_mod.converge(api, old, new, "a100")
    assert set(first.failures) <= api.fail_on
    api.fail_on = set()
    apply_mod.converge(api, old, new, "a100")  # the re-run finishes the job
    assert set(api.nodes) == wanted
    assert apply_mod.converge(api, new, new, "a100").plan.empty


def _run_main(monkeypatch, capsys, api, spec, previous=None, argv=None) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(json.dumps(spec)))
    if previous is None:
        monkeypatch.delenv("PULUMI_COMMAND_STDOUT", raising=False)
    else:
        monkeypatch.setenv("PULUMI_COMMAND_STDOUT", previous)
    code = apply_mod.main(argv or [], api=api)
    out, err = capsys.readouterr()
    return code, out, err


def test_command_prints_the_applied_spec_for_the_next_run(monkeypatch, capsys):
    api = FakeNodeApi()
    spec = spec_of({"use1": 5})
    code, out, err = _run_main(monkeypatch, capsys, api, spec)
    assert code == 0 and json.loads(out) == spec and "5 to create" in err
    assert len(api.nodes) == 5

    smaller = spec_of({"use1": 4})
    code, out, err = _run_main(monkeypatch, capsys, api, smaller, previous=out)
    assert code == 0 and "1 to delete" in err and sorted(api.nodes)[-1] == "a100-use1-3"


def test_partial_failure_exits_1_prints_no_spec_and_the_rerun_converges(monkeypatch, capsys):
    api = FakeNodeApi(fail_on={"a100-use1-2"})
    spec = spec_of({"use1": 4})
    code, out, err = _run_main(monkeypatch, capsys, api, spec)
    assert code == 1 and out == "" and "failed a100-use1-2" in err and "pulumi up" in err
    assert sorted(api.nodes) == ["a100-use1-0", "a100-use1-1", "a100-use1-3"]
    api.fail_on = set()
    # The failed run printed nothing: the Command keeps no previous spec; the listed nodes decide.
    code, out, err = _run_main(monkeypatch, capsys, api, spec, previous="")
    assert code == 0 and "1 to create, 0 to patch, 0 to delete" in err
    assert len(api.nodes) == 4


def test_delete_mode_removes_only_the_groups_nodes(monkeypatch, capsys):
    api = FakeNodeApi()
    apply_mod.converge(api, None, spec_of({"use1": 3}), "a100")
    other = emulation_specs(emulation(group("h100", {"use1": 2})), KUBERNETES_VERSION)[0]
    apply_mod.converge(api, None, other, "h100")
    assert apply_mod.main(["--delete", "a100"], api=api) == 0
    assert sorted(api.nodes) == ["h100-use1-0", "h100-use1-1"]


def test_missing_kubeconfig_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv(apply_mod.KUBECONFIG_ENV, raising=False)
    assert apply_mod.main(["--delete", "a100"]) == 2
    assert apply_mod.KUBECONFIG_ENV in capsys.readouterr().err


@pytest.mark.parametrize("text", [None, "", "not json", '{"other": 1}', "[1, 2]"])
def test_unusable_previous_output_means_no_previous_spec(text):
    assert apply_mod._previous_spec(text) is None
