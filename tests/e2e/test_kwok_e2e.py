"""The emulated-kwok stack against a real control plane (etcd, kube-apiserver, controller
manager, scheduler and KWOK controller as processes, started by the program's own kwokctl
command).

The commands and objects are exactly those the program registers (under the mock runtime);
`clusterforge.kwok_live` runs them in the engine's place, since the engine itself cannot
run here (toolchain/README.md says why). The nodes, stages, scheduling and deletes are the
real API server's and controllers'.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.kwok_live import (LiveStack, cluster_processes, destroy, free_port, group_commands,
                                    kwok_overrides, up, update)
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack, stack_names
from tests.e2e.waiting import wait_until

STACK = "emulated-kwok"
PER_ZONE = 20  # the shipped shape, 20 nodes per zone and group (1 per zone for system)


def _config(bin_dir, name, port) -> dict:
    config = copy.deepcopy(read_stack(STACK).namespaced())
    for group in config["emulation"]["nodeGroups"]:
        for place in group["placement"]:
            place["replicas"] = 1 if group["name"] == "system" else PER_ZONE
    config["hosts"] = kwok_overrides(config, bin_dir, name, port)
    return config


def _render(config: dict):
    return run_stack(STACK, {k: config[k] for k in ("hosts", "emulation", "addons")})


def _nodes(live: LiveStack) -> dict[str, dict]:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(live.kubeconfig)))
    raw = api.list_node(_preload_content=False)
    return {n["metadata"]["name"]: n for n in json.loads(raw.data)["items"]}


def _our_writes(node: dict) -> list[tuple[str, str]]:
    """When and what the program's field manager last wrote (KWOK's own writes aside)."""
    return sorted((f.get("time", ""), f.get("subresource", "")) for f in node["metadata"].get("managedFields", [])
                  if f["manager"] == "clusterforge")


def _wait_ready(live: LiveStack, count: int, timeout_s: float = 120) -> dict[str, dict]:
    seen = {"nodes": 0, "ready": 0}

    def all_ready() -> dict[str, dict] | None:
        nodes = _nodes(live)
        # Ready, and the node lifecycle controller has lifted its not-ready taint.
        ready = [n for n in nodes.values()
                 if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
                 and not any(t["key"].startswith("node.kubernetes.io/") for t in n["spec"].get("taints", []))]
        seen.update(nodes=len(nodes), ready=len(ready))
        return nodes if len(nodes) == count and len(ready) == count else None

    return wait_until(all_ready, timeout_s, 1, lambda: f"{seen['ready']} of {seen['nodes']} nodes Ready "
                                                      f"(want {count}) after {timeout_s}s")


@pytest.fixture(scope="module")
def cluster(kwok_bin, tmp_path_factory):
    port = free_port()
    workdir = tmp_path_factory.mktemp("kwok")
    config = _config(kwok_bin, "cf-e2e", port)
    live = LiveStack(workdir=workdir, env={"KWOK_WORKDIR": str(workdir)})
    rec = _render(config)
    state = {"live": live, "config": config, "rec": rec, "timings": up(live, rec)}
    yield state
    if live.commands:  # a failed test left the cluster up: take it down all the same
        destroy(live, state["rec"])


def test_up_brings_every_group_and_zone(cluster):
    live, rec = cluster["live"], cluster["rec"]
    expected = 3 * 1 + 3 * 3 * PER_ZONE
    nodes = _wait_ready(live, expected)
    by_group_zone = Counter((n["metadata"]["labels"]["clusterforge.io/node-group"],
                             n["metadata"]["labels"]["topology.kubernetes.io/zone"]) for n in nodes.values())
    for spec in (json.loads(g.inputs["stdin"]) for g in group_commands(rec)):
        for zone, replicas in spec["zones"]:
            assert by_group_zone[spec["group"], zone] == replicas
    for node in nodes.values():
        labels, taints = node["metadata"]["labels"], node["spec"].get("taints", [])
        group = labels["clusterforge.io/node-group"]
        assert node["spec"]["providerID"].startswith("kwok://")
        if group == "system":
            assert taints == [] and labels["clusterforge.io/node-role"] == "system"
        else:
            assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"} in taints
            assert {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"} in taints
            assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"


def test_an_unchanged_stack_runs_nothing(cluster):
    live = cluster["live"]
    before = {name: _our_writes(n) for name, n in _nodes(live).items()}
    assert update(live, _render(cluster["config"])) == []
    after = {name: _our_writes(n) for name, n in _nodes(live).items()}
    assert before == after  # no node written again


def test_an_edit_changes_only_the_edited_groups(cluster):
    live, config = cluster["live"], copy.deepcopy(cluster["config"])
    groups = {g["name"]: g for g in config["emulation"]["nodeGroups"]}
    # Scale one zone of one group down 10%; change one label of another group.
    groups["a2-ultragpu-8g"]["placement"][0]["replicas"] = PER_ZONE - PER_ZONE // 10
    groups["a3-highgpu-8g"]["nodeTemplate"]["metadata"]["labels"]["datastrophic.io/gpu-type"] = "nvidia-h100-94gb"
    before = _nodes(live)
    rec = _render(config)
    ran = update(live, rec)
    assert sorted(ran) == ["nodes-a2-ultragpu-8g", "nodes-a3-highgpu-8g"]
    cluster["rec"], cluster["config"] = rec, config
    after = _nodes(live)
    gone = set(before) - set(after)
    assert gone == {f"a2-ultragpu-8g-use1-{i}" for i in range(PER_ZONE - PER_ZONE // 10, PER_ZONE)}
    for name, node in after.items():
        group = node["metadata"]["labels"]["clusterforge.io/node-group"]
        if group == "a3-highgpu-8g":
            assert node["metadata"]["labels"]["datastrophic.io/gpu-type"] == "nvidia-h100-94gb"
        elif group in ("system", "a3-ultragpu-8g"):
            assert _our_writes(node) == _our_writes(before[name]), name


@pytest.mark.parametrize("stack", stack_names())
def test_the_server_admits_every_rendered_object(cluster, tmp_path, stack):
    """Every shipped stack's objects, dry-run on this API server: its schemas, CEL rules and
    admission run (the upstream CRDs of cert-manager, Istio, MetalLB, Calico applied first)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(cluster["live"].kubeconfig)
    crds = PROJECT_ROOT.parent / "shared" / "schemas" / "crds"
    args = [sys.executable, "-m", "clusterforge.cli", "check", stack, "--server", str(kubeconfig)]
    if crds.is_dir():
        args += ["--crd-schemas", str(crds)]
    out = subprocess.run(args, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "objects admitted by a server-side dry-run" in out.stdout


def test_the_real_scheduler_keeps_zone_affinity_jobs_in_one_zone(cluster, tmp_path):
    live = cluster["live"]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(live.kubeconfig)
    out = subprocess.run(
        [sys.executable, "-m", "clusterforge.cli", "experiment", str(kubeconfig), "--copies", "4",
         "--workers", "5", "--gpu-type", "nvidia-a100-80gb", "--timeout", "120", "--json"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["gpusAllocated"] == 4 * 5 * 8
    nodes = _nodes(live)
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(live.kubeconfig)))
    pods = json.loads(api.list_pod_for_all_namespaces(label_selector="clusterforge.io/experiment=true",
                                                      _preload_content=False).data)["items"]
    zones: dict[str, set[str]] = {}
    for pod in pods:
        node = nodes[pod["spec"]["nodeName"]]
        zones.setdefault(pod["metadata"]["labels"]["clusterforge.io/job-id"], set()).add(
            node["metadata"]["labels"]["topology.kubernetes.io/zone"])
    assert len(zones) == 4 and all(len(z) == 1 for z in zones.values()), zones


def test_destroy_leaves_no_node_and_no_process(cluster):
    live = cluster["live"]
    destroy(live, cluster["rec"])
    assert live.commands == {}
    assert cluster_processes(live.workdir) == []
    listed = subprocess.run([str(cluster["config"]["hosts"]["kwokCluster"]["kwokctl"]), "get", "clusters"],
                            capture_output=True, text=True, env={"KWOK_WORKDIR": str(live.workdir), "PATH": "/usr/bin:/bin"})
    assert "cf-e2e" not in listed.stdout.split()
