"""The real Pulumi engine runs the program: the emulated-kwok stack at its shipped size.

The plain `pulumi` CLI in a copy of the project (clusterforge.engine), the Python language
host and the command, random and kubernetes plugins built by scripts/toolchain.sh, a file
backend: `preview`, `up` (kwokctl starts etcd, kube-apiserver, the controller manager, the
scheduler and the KWOK controller as processes; 2,553 emulated nodes; the
kube-prometheus-stack release from the upstream chart package), a preview and a refresh
that must find nothing to change, an edit of two node groups, the policy pack, `destroy`.
Every check reads the cluster itself (nodes, labels, pods) or what the engine reported.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.engine import (KWOK_PLUGINS, EngineStack, changed, create_workspace, declared_urns,
                                 missing_engine_parts)
from clusterforge.kwok_live import cluster_processes, free_port, kwok_overrides, missing_binaries
from tests import needs
from tests.e2e.waiting import wait_until

STACK = "emulated-kwok"
NAME = "cf-engine"
CHARTS = PROJECT_ROOT.parent / "shared" / "charts"
SCALED, RELABELLED = "a2-ultragpu-8g", "a3-highgpu-8g"


def _nodes(kubeconfig: str) -> dict[str, dict]:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(kubeconfig)))
    raw = api.list_node(_preload_content=False)
    return {n["metadata"]["name"]: n for n in json.loads(raw.data)["items"]}


def _ready(node: dict) -> bool:
    """Ready, and the node lifecycle controller has lifted its not-ready taint."""
    return (any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))
            and not any(t["key"].startswith("node.kubernetes.io/") for t in node["spec"].get("taints", [])))


def _wait_ready(kubeconfig: str, count: int, timeout_s: float = 600) -> dict[str, dict]:
    seen = {"nodes": 0, "ready": 0}

    def all_ready():
        nodes = _nodes(kubeconfig)
        ready = sum(1 for n in nodes.values() if _ready(n))
        seen.update(nodes=len(nodes), ready=ready)
        return nodes if len(nodes) == count == ready else None

    return wait_until(all_ready, timeout_s, 2, lambda: f"{seen['ready']} of {seen['nodes']} nodes Ready, want {count}")


def _our_writes(node: dict) -> list[tuple[str, str]]:
    """When and what the program's field manager last wrote (KWOK's own writes aside)."""
    return sorted((f.get("time", ""), f.get("subresource", "")) for f in node["metadata"].get("managedFields", [])
                  if f["manager"] == "clusterforge")


def _expected(config: dict) -> Counter:
    return Counter({(g["name"], p["availabilityZone"]): p["replicas"]
                    for g in config["clusterforge:emulation"]["nodeGroups"] for p in g["placement"]})


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def stack(kwok_bin, tmp_path_factory):
    missing = missing_engine_parts(plugins=KWOK_PLUGINS) + missing_binaries(kwok_bin)
    if not CHARTS.is_dir():
        missing.append(f"the upstream chart packages in {CHARTS}")
    if missing:
        needs.missing(f"the real-engine tier needs {', '.join(missing)} (scripts/toolchain.sh builds the binaries)")
    ws = create_workspace(tmp_path_factory.mktemp("engine-kwok"), plugins=KWOK_PLUGINS)
    st = EngineStack(ws, STACK)
    st.init()
    port = free_port()

    def local(config):  # what an air-gapped user sets: local binaries, a free port, charts from a directory
        hosts = config["clusterforge:hosts"]
        hosts.update(kwok_overrides({"hosts": hosts}, kwok_bin, NAME, port))
        config["clusterforge:addons"]["chartSource"] = {"directory": str(CHARTS)}

    st.edit(local)
    state = {"stack": st, "port": port, "workdir": ws.root / "user" / ".kwok"}
    yield state
    # A failed test may leave the cluster up: the engine takes it down all the same.
    if [r for r in st.resources() if r["type"] != "pulumi:pulumi:Stack"]:
        st.run("destroy", "--yes", "--skip-preview", check=False)


def test_the_preview_declares_exactly_what_the_render_shows(stack, tmp_path):
    st = stack["stack"]
    preview = st.preview()
    ops = Counter(s["op"] for s in preview["steps"])
    assert set(ops) == {"create"}, ops
    rendered = st.rendered_urns(tmp_path / "render")
    assert declared_urns(preview) == rendered


def test_up_brings_every_group_and_zone_ready(stack):
    st = stack["stack"]
    st.run("up", "--yes", "--skip-preview")
    kubeconfig = stack["kubeconfig"] = st.output("kubeconfig")
    expected = _expected(st.config())
    nodes = _wait_ready(kubeconfig, sum(expected.values()))
    by_group_zone = Counter((n["metadata"]["labels"]["clusterforge.io/node-group"],
                             n["metadata"]["labels"]["topology.kubernetes.io/zone"]) for n in nodes.values())
    assert by_group_zone == expected
    for node in nodes.values():
        labels, taints = node["metadata"]["labels"], node["spec"].get("taints", [])
        assert node["spec"]["providerID"].startswith("kwok://")
        if labels["clusterforge.io/node-group"] == "system":
            assert taints == [] and labels["clusterforge.io/node-role"] == "system"
        else:
            assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"} in taints
            assert {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"} in taints
            assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"


def test_the_release_runs_on_the_system_nodes_only(stack):
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(stack["kubeconfig"])))
    last: list = []

    def running():
        last[:] = core.list_namespaced_pod("monitoring").items
        return list(last) if last and all(p.status.phase == "Running" for p in last) else None

    pods = wait_until(running, 180, 2, lambda: str([(p.metadata.name, p.status.phase) for p in last]))
    groups = {n: v["metadata"]["labels"]["clusterforge.io/node-group"] for n, v in _nodes(stack["kubeconfig"]).items()}
    exporters = [p for p in pods if p.metadata.name.startswith("kube-prometheus-stack-prometheus-node-exporter")]
    assert sorted(groups[p.spec.node_name] for p in exporters) == ["system"] * 3
    assert {groups[p.spec.node_name] for p in pods} == {"system"}


def test_nothing_changes_after_up(stack):
    st = stack["stack"]
    before = {name: _our_writes(n) for name, n in _nodes(stack["kubeconfig"]).items()}
    st.run("preview", "--expect-no-changes")
    st.run("refresh", "--yes", "--expect-no-changes")
    after = {name: _our_writes(n) for name, n in _nodes(stack["kubeconfig"]).items()}
    assert before == after  # no node written again


def test_an_edit_updates_only_the_two_node_groups(stack):
    st = stack["stack"]
    cut = {}

    def edit(config):
        groups = {g["name"]: g for g in config["clusterforge:emulation"]["nodeGroups"]}
        zone = groups[SCALED]["placement"][0]
        cut.update(zone=zone["availabilityZone"], was=zone["replicas"])
        zone["replicas"] -= zone["replicas"] // 10  # 10% fewer in one zone of one group
        groups[RELABELLED]["nodeTemplate"]["metadata"]["labels"]["datastrophic.io/gpu-type"] = "nvidia-h100-94gb"

    before = _nodes(stack["kubeconfig"])
    st.edit(edit)
    preview = st.preview()
    assert changed(preview) == {f"nodes-{SCALED}": "update", f"nodes-{RELABELLED}": "update"}
    st.run("up", "--yes", "--skip-preview")
    after = _nodes(stack["kubeconfig"])
    keep = cut["was"] - cut["was"] // 10
    assert set(before) - set(after) == {f"{SCALED}-{cut['zone']}-{i}" for i in range(keep, cut["was"])}
    for name, node in after.items():
        group = node["metadata"]["labels"]["clusterforge.io/node-group"]
        if group == RELABELLED:
            assert node["metadata"]["labels"]["datastrophic.io/gpu-type"] == "nvidia-h100-94gb"
        elif group not in (SCALED,):
            assert _our_writes(node) == _our_writes(before[name]), name
    st.run("preview", "--expect-no-changes")


def test_the_policy_pack_passes_in_the_real_preview(stack):
    out = stack["stack"].run("preview", "--policy-pack", "policy", "--expect-no-changes")
    assert "Policies:" in out.stdout and "clusterforge@v" in out.stdout and "mandatory" not in out.stdout, out.stdout[-2000:]


@pytest.mark.parametrize("name", ["cloud", "datalab", "emulated", "emulated-kwok", "homelab", "onprem"])
def test_the_server_admits_every_rendered_object(stack, tmp_path, name):
    """Every shipped stack's objects, dry-run on this API server: its schemas, CEL rules and
    admission run (the upstream CRDs of cert-manager, Istio, MetalLB, Calico applied first)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(stack["kubeconfig"])
    crds = PROJECT_ROOT.parent / "shared" / "schemas" / "crds"
    args = [sys.executable, "-m", "clusterforge.cli", "check", name, "--server", str(kubeconfig)]
    if crds.is_dir():
        args += ["--crd-schemas", str(crds)]
    out = subprocess.run(args, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "objects admitted by a server-side dry-run" in out.stdout


def test_the_real_scheduler_keeps_zone_affinity_jobs_in_one_zone(stack, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(stack["kubeconfig"])
    out = subprocess.run(
        [sys.executable, "-m", "clusterforge.cli", "experiment", str(kubeconfig), "--copies", "4",
         "--workers", "5", "--gpu-type", "nvidia-a100-80gb", "--timeout", "120", "--json"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["gpusAllocated"] == 4 * 5 * 8
    nodes = _nodes(stack["kubeconfig"])
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(stack["kubeconfig"])))
    pods = json.loads(api.list_pod_for_all_namespaces(label_selector="clusterforge.io/experiment=true",
                                                      _preload_content=False).data)["items"]
    zones: dict[str, set[str]] = {}
    for pod in pods:
        node = nodes[pod["spec"]["nodeName"]]
        zones.setdefault(pod["metadata"]["labels"]["clusterforge.io/job-id"], set()).add(
            node["metadata"]["labels"]["topology.kubernetes.io/zone"])
    assert len(zones) == 4 and all(len(z) == 1 for z in zones.values()), zones


def test_destroy_leaves_no_node_process_port_or_file(stack):
    st = stack["stack"]
    started = time.monotonic()
    st.run("destroy", "--yes", "--skip-preview")
    assert time.monotonic() - started < 600
    assert [r["type"] for r in st.resources() if r["type"] != "pulumi:pulumi:Stack"] == []
    workdir: Path = stack["workdir"]
    assert cluster_processes(workdir) == []
    assert not _listening(stack["port"])
    assert not (workdir / "clusters" / NAME).exists()
