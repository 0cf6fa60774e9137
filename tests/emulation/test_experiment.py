"""Workload templates and the experiment report (pure, on synthetic node and pod lists)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterforge import experiment
from clusterforge.validate import validate_object
from components.plan.emulation import stages
from components.plan.emulation.nodes import emulation_specs, group_nodes

from .helpers import KUBERNETES_VERSION, emulation, group

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "workloads").glob("*.tmpl"))
PARAMS = {"gpu_type": "nvidia-h100-80gb", "workers": 4, "gpus": 8, "cpu": "24", "memory": "256Gi",
          "duration": "10m"}


def test_there_are_templates_with_and_without_zone_affinity():
    kinds = {("podAffinity" in t.read_text()) for t in TEMPLATES}
    assert kinds == {True, False}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_render_valid_jobs_with_the_job_id(template):
    job = experiment.render_job(template.read_text(), "abc-1", PARAMS)
    assert validate_object(job, KUBERNETES_VERSION, None) == []
    assert job["metadata"]["name"] == "train-abc-1"
    pod = job["spec"]["template"]
    assert pod["metadata"]["labels"]["clusterforge.io/job-id"] == "abc-1"
    assert pod["metadata"]["annotations"]["pod-complete.stage.kwok.x-k8s.io/delay"] == "10m"
    assert job["spec"]["parallelism"] == job["spec"]["completions"] == 4
    requests = pod["spec"]["containers"][0]["resources"]["requests"]
    assert requests["nvidia.com/gpu"] == "8"
    affinity = pod["spec"]["affinity"]
    if "podAffinity" in affinity:
        term = affinity["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        assert term["topologyKey"] == "topology.kubernetes.io/zone"
        assert term["labelSelector"]["matchLabels"] == {"clusterforge.io/job-id": "abc-1"}


def test_shipped_workloads_select_the_delay_honouring_stages():
    assert stages.pod_stage_mode("auto", [str(t.relative_to(ROOT)) for t in TEMPLATES], ROOT) == "delay"


def _cluster():
    cfg = emulation(group("a100", {"use1": 2, "use2": 1}), group("h100", {"use1": 1}))
    return [n for s in emulation_specs(cfg, KUBERNETES_VERSION) for n in group_nodes(s)]


def _pod(name: str, node: str | None, phase: str, gpus: int = 8) -> dict:
    spec = {"containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": str(gpus), "cpu": "1"}}}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def test_report_counts_allocated_available_and_pending_by_zone_and_type():
    pods = [_pod("p1", "a100-use1-0", "Running"), _pod("p2", "a100-use1-1", "Running", 4),
            _pod("p3", "h100-use1-0", "Running"), _pod("p4", None, "Pending"), _pod("p5", None, "Pending", 2),
            _pod("p6", "a100-use2-0", "Succeeded"), _pod("p7", "a100-use2-0", "Failed")]
    rep = experiment.report(_cluster(), pods)
    table = {(r.zone, r.instance_type): (r.nodes, int(r.allocated), int(r.available)) for r in rep.rows}
    assert table == {("use1", "a100"): (2, 12, 16), ("use2", "a100"): (1, 0, 8), ("use1", "h100"): (1, 8, 8)}
    assert (rep.pending, int(rep.pending_gpus), rep.running, rep.succeeded) == (2, 10, 3, 1)
    data = rep.as_dict()
    assert data["gpusAllocated"] == 20 and data["gpusAvailable"] == 32
    text = experiment.format_report(rep)
    assert "2 pending (10 GPUs waiting)" in text and "62.5%" in text


def test_nodes_without_gpus_are_left_out():
    cpu_node = {"metadata": {"name": "cp", "labels": {}}, "status": {"allocatable": {"cpu": "4"}}}
    assert experiment.report([cpu_node], []).rows == []


def test_settled_waits_for_scheduler_verdicts():
    unschedulable = {"status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}}
    assert experiment.settled([_pod("a", "n", "Running"), unschedulable])
    assert not experiment.settled([{"status": {"phase": "Pending"}}])


class FakeCluster:
    """Test double of the API: records submitted Jobs, 'schedules' them onto the nodes."""

    submitted: list = []

    def __init__(self, kubeconfig: str):
        self.nodes_ = _cluster()

    def submit(self, namespace, job):
        FakeCluster.submitted.append((namespace, job))

    def nodes(self):
        return self.nodes_

    def pods(self, selector):
        names = [n["metadata"]["name"] for n in self.nodes_ if n["metadata"]["name"].startswith("a100")]
        pods = []
        for i, (_, job) in enumerate(FakeCluster.submitted):
            node = names[i] if i < len(names) else None
            pod = _pod(f"{job['metadata']['name']}-0", node, "Running" if node else "Pending")
            if not node:
                pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "False",
                                                "reason": "Unschedulable"}]
            pods.append(pod)
        return pods


def test_command_submits_copies_and_reports_when_settled(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(experiment, "PICTURES", tmp_path / "build" / "experiments")  # where pictures go by default
    FakeCluster.submitted = []
    monkeypatch.setattr(experiment, "Cluster", FakeCluster)
    monkeypatch.setattr(experiment.time, "sleep", lambda s: None)
    code = experiment.main(["kubeconfig", "--copies", "4", "--workers", "1", "--gpu-type", "nvidia-a100-80gb",
                            "--json"])
    assert code == 0
    assert len({job["metadata"]["name"] for _, job in FakeCluster.submitted}) == 4
    data = json.loads(capsys.readouterr().out)
    assert data["podsPending"] == 1 and data["gpusAllocated"] == 24
    assert len(list((tmp_path / "build" / "experiments").glob("allocation-*.svg"))) == 1


def test_missing_template_is_a_usage_error(capsys):
    assert experiment.main(["kc", "--template", "workloads/nope.tmpl"]) == 2


def _real(nodes):
    """The same nodes as a real cluster's: without KWOK's annotation."""
    for node in nodes:
        node["metadata"].get("annotations", {}).pop("kwok.x-k8s.io/node", None)
    return nodes


def test_the_report_says_pods_on_kwok_nodes_run_no_process():
    pods = [_pod("p1", "a100-use1-0", "Running"), _pod("p2", None, "Pending")]
    assert experiment.report(_real(_cluster()), pods).on_kwok_nodes == 0
    rep = experiment.report(_cluster(), pods)  # group_nodes makes KWOK's nodes
    assert rep.on_kwok_nodes == 1 and rep.as_dict()["podsOnKwokNodes"] == 1
    assert ("note: 1 of these pods are on KWOK nodes: KWOK marks them Running or Succeeded and no process "
            "runs") in experiment.format_report(rep)


def test_the_command_draws_allocation_over_time_per_zone_and_instance_type(monkeypatch, capsys, tmp_path):
    import xml.etree.ElementTree as ET

    FakeCluster.submitted = []
    monkeypatch.setattr(experiment, "Cluster", FakeCluster)
    monkeypatch.setattr(experiment.time, "sleep", lambda s: None)
    ticks = iter(range(0, 10_000, 7))
    monkeypatch.setattr(experiment.time, "monotonic", lambda: float(next(ticks)))
    svg = tmp_path / "pictures" / "run.svg"
    assert experiment.main(["kc", "--copies", "3", "--workers", "1", "--gpu-type", "nvidia-a100-80gb",
                            "--picture", str(svg)]) == 0
    assert f"allocation picture written to {svg}" in capsys.readouterr().err
    text = svg.read_text()
    ET.fromstring(text)  # well-formed SVG
    # One chart per zone and instance type, with the final allocation in its title.
    for title in ("use1 · a100  (16/16, 100%)", "use2 · a100  (8/8, 100%)", "use1 · h100  (0/8, 0%)"):
        assert title in text, title
    assert "seconds since submission" in text and "3 pods running, 0 pending" in text


def test_emulated_stacks_say_kwok_pods_run_no_process(tmp_path):
    from clusterforge.mockrun import run_stack
    from clusterforge.render import render_stack, summary
    from components.plan.emulation.capacity import KWOK_NOTE

    assert "a pod KWOK marks Running runs no process" in KWOK_NOTE
    out = run_stack("emulated-kwok").outputs["emulatedNodes"]
    assert out == {"nodes": 2553, "note": KWOK_NOTE}
    assert "emulatedNodes" not in run_stack("onprem").outputs
    assert f"  {KWOK_NOTE}" in summary(render_stack("emulated-kwok", tmp_path / "r")).splitlines()
    readme = (ROOT / "README.md").read_text()
    assert "a pod marked Running by\nKWOK runs no process" in readme
