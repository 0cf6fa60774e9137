"""`render` of the emulated stack: node manifests, stages, capacity summary; bench helpers."""
from __future__ import annotations

import copy

import yaml

from clusterforge.benches.emulation import scaled_section, time_scale_down_plan
from clusterforge.render import render_stack, summary
from components.plan.emulation.capacity import capacity_rows, capacity_table

from .conftest_data import emulated_section
from .helpers import emulation, group


def _small() -> dict:
    section = copy.deepcopy(emulated_section())
    for g in section["nodeGroups"]:
        for p in g["placement"]:
            p["replicas"] = 2
    return {"emulation": section}


def test_render_writes_nodes_per_group_stages_and_capacity(tmp_path):
    result = render_stack("emulated", tmp_path / "out", _small())
    manifests = tmp_path / "out" / "manifests"
    nodes = list(yaml.safe_load_all((manifests / "nodes-a3-highgpu-8g.yaml").read_text()))
    assert [n["metadata"]["name"] for n in nodes] == [
        f"a3-highgpu-8g-{z}-{i}" for z in ("use1", "use2", "use3") for i in range(2)]
    assert {p.name for p in manifests.glob("stage-*.yaml")} >= {"stage-node-initialize.yaml", "stage-pod-complete.yaml"}
    complete = yaml.safe_load((manifests / "stage-pod-complete.yaml").read_text())
    assert "delay" in complete["spec"]  # the shipped workloads use delay annotations
    text = summary(result)
    assert "emulated capacity:" in text and "a3-ultragpu-8g  use3" in text


def test_capacity_by_group_and_zone():
    cfg = emulation(group("a100", {"use1": 500, "use2": 10}, capacity={
        "cpu": 96, "memory": "1360Gi", "nvidia.com/gpu": 8, "pods": 110}))
    assert [(g, z, n, int(c), int(m), int(u)) for g, z, n, c, m, u in capacity_rows(cfg)] == [
        ("a100", "use1", 500, 48000, 680000, 4000), ("a100", "use2", 10, 960, 13600, 80)]
    table = capacity_table(cfg).splitlines()
    assert table[0].split() == ["group", "zone", "nodes", "CPUs", "memory", "GiB", "GPUs"]
    assert table[-1].split() == ["total", "510", "48,960", "693,600", "4,080"]


def test_shipped_stack_is_kemus_gcp_large_shape():
    section = emulated_section()
    assert sum(p["replicas"] for g in section["nodeGroups"] for p in g["placement"]) == 2550
    gpu_types = {g["nodeTemplate"]["metadata"]["labels"]["datastrophic.io/gpu-type"] for g in section["nodeGroups"]}
    assert gpu_types == {"nvidia-a100-80gb", "nvidia-h100-80gb", "nvidia-h200-141gb"}
    assert all(g["nodeTemplate"]["capacity"]["nvidia.com/gpu"] == 8 for g in section["nodeGroups"])
    assert all(len(g["placement"]) == 3 for g in section["nodeGroups"])


def test_bench_scaling_hits_the_exact_total_and_plans_a_ten_percent_cut():
    for total in (10, 2550, 10_000):
        assert sum(p["replicas"] for g in scaled_section(total)["nodeGroups"] for p in g["placement"]) == total
    seconds, deletes = time_scale_down_plan(total=1000)
    assert deletes == 100 and seconds < 5


def test_validation_sample_is_first_and_last_node_of_each_zone():
    from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
    from components.plan.emulation.objects import declared_objects, validation_sample

    cfg, _ = prepare_offline(apply_overrides(read_stack("emulated"), _small()))
    sample = validation_sample(cfg)
    assert len(sample) == 3 * 3 * 2
    every = {n["metadata"]["name"]: n for objs in declared_objects(cfg).values() for n in objs}
    assert all(every[n["metadata"]["name"]] == n for n in sample)
