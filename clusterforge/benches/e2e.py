"""`clusterforge bench e2e`: the real `pulumi up` of emulated-kwok beside kwokctl's own.

One run on this machine, both sides with the same binaries (scripts/toolchain.sh):
  1. ours: the plain `pulumi` CLI runs the program (clusterforge.engine): preview (and
     whether it declares what `clusterforge render` shows), up (2,553 nodes), a preview
     that must show no change, a 10% scale-down of one zone of one group, destroy;
  2. kwokctl: `kwokctl create cluster` then `kwokctl scale node` of the same count, then
     `kwokctl delete cluster`.
Nodes per second on both sides: from the first node the API server lists to every node
Ready (a watcher polls the cluster's kubeconfig). CPU seconds per 1,000 nodes: our node
groups' apply processes (each reports its own, in the engine's output) and the
`kwokctl scale node` process. Goals: ratio_vs_kwokctl >= 1.0, up_vs_kwokctl <= 1.5,
destroy_vs_up <= 1.0, noop_changes 0, destroy_remaining 0.
"""
from __future__ import annotations

import json
import re
import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.engine import (KWOK_PLUGINS, EngineError, EngineStack, changed, create_workspace,
                                 declared_urns, missing_engine_parts, toolchain_bin)
from clusterforge.kwok_live import cluster_processes, free_port, kwok_overrides, missing_binaries

STACK = "emulated-kwok"
CHARTS = PROJECT_ROOT.parent / "shared" / "charts"
_CPU = re.compile(r"node group (\S+): .*\(cpu ([0-9.]+) s\)")


def _ready_count(kubeconfig: dict) -> tuple[int, int]:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config_dict(kubeconfig))
    nodes = json.loads(api.list_node(_preload_content=False).data)["items"]
    ready = sum(1 for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in n.get("status", {}).get("conditions", [])))
    return len(nodes), ready


class ReadyWatch(threading.Thread):
    """Polls a kubeconfig file until `count` nodes are Ready; records when (monotonic)."""

    def __init__(self, kubeconfig: Path, count: int, timeout_s: float = 1200):
        super().__init__(daemon=True)
        self.path, self.count, self.deadline = kubeconfig, count, time.monotonic() + timeout_s
        self.first_at: float | None = None
        self.done_at: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.first_at is None or self.done_at is None else self.done_at - self.first_at

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                if self.path.is_file():
                    total, ready = _ready_count(yaml.safe_load(self.path.read_text()))
                    if total and self.first_at is None:
                        self.first_at = time.monotonic()
                    if total >= self.count and ready >= self.count:
                        self.done_at = time.monotonic()
                        return
            except Exception:  # noqa: BLE001 - the API server is still starting
                pass
            time.sleep(0.25)


def _apply_cpu(output: str) -> float:
    """CPU seconds our node-group apply processes report (one line each) in the engine's output."""
    return sum(float(m.group(2)) for m in _CPU.finditer(output))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run() -> dict[str, Any]:
    bin_dir = toolchain_bin()
    missing = missing_engine_parts(plugins=KWOK_PLUGINS) + missing_binaries(bin_dir)
    if not CHARTS.is_dir():
        missing.append(f"the chart packages in {CHARTS}")
    if missing:
        print(f"bench e2e: missing {', '.join(missing)}; run scripts/toolchain.sh")
        return {"error": f"missing {', '.join(missing)}"}
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-e2e-") as tmp:
        return _run(bin_dir, Path(tmp))


def _ours(bin_dir: Path, root: Path, figures: dict[str, Any]) -> None:
    ws = create_workspace(root / "ws", plugins=KWOK_PLUGINS)
    st = EngineStack(ws, STACK)
    st.init()
    port = free_port()

    def local(config):
        hosts = config["clusterforge:hosts"]
        hosts.update(kwok_overrides({"hosts": hosts}, bin_dir, "cf-bench", port))
        config["clusterforge:addons"]["chartSource"] = {"directory": str(CHARTS)}

    st.edit(local)
    groups = st.config()["clusterforge:emulation"]["nodeGroups"]
    nodes = figures["nodes"] = sum(p["replicas"] for g in groups for p in g["placement"])
    print(f"ours: {nodes} nodes in {len(groups)} groups; preview ...", flush=True)
    preview = st.preview()
    figures["preview_ok"] = {s["op"] for s in preview["steps"]} == {"create"}
    figures["render_matches_preview"] = declared_urns(preview) == st.rendered_urns(root / "render")

    kubeconfig = ws.root / "user" / ".kwok" / "clusters" / "cf-bench" / "kubeconfig.yaml"
    watch = ReadyWatch(kubeconfig, nodes)
    watch.start()
    start = time.monotonic()
    try:
        out = st.run("up", "--yes", "--skip-preview")
        figures["up_s"] = round(time.monotonic() - start, 2)
        watch.join()
        ours_s = watch.seconds
        if ours_s is None:
            raise EngineError("the nodes never all became Ready")
        figures["ours_ready_s"] = round(ours_s, 2)
        figures["ours_nodes_per_s"] = round(nodes / ours_s, 1)
        figures["ours_cpu_s_per_1000_nodes"] = round(_apply_cpu(out.stdout + out.stderr) * 1000 / nodes, 2)
        print(f"ours: up {figures['up_s']}s; every node Ready {ours_s:.1f}s after the first appeared "
              f"({figures['ours_nodes_per_s']} nodes/s)", flush=True)

        noop = st.preview()
        figures["noop_changes"] = len(changed(noop))
        scaled = {}

        def scale_down(config):
            group = next(g for g in config["clusterforge:emulation"]["nodeGroups"] if g["name"] != "system")
            zone = group["placement"][0]
            zone["replicas"] -= zone["replicas"] // 10
            scaled.update(name=group["name"], left=sum(p["replicas"] for p in group["placement"]))

        st.edit(scale_down)
        edit = changed(st.preview())
        st.run("up", "--yes", "--skip-preview")
        from kubernetes import client, config

        api = client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(st.output("kubeconfig"))))
        left = len(json.loads(api.list_node(label_selector=f"clusterforge.io/node-group={scaled['name']}",
                                            _preload_content=False).data)["items"])
        figures["edit_changed_only_group"] = edit == {f"nodes-{scaled['name']}": "update"} and left == scaled["left"]
        print(f"no-op preview: {figures['noop_changes']} change(s); the 10% scale-down changed {edit}", flush=True)
    finally:
        start = time.monotonic()
        st.run("destroy", "--yes", "--skip-preview", check=False)
        figures["destroy_s"] = round(time.monotonic() - start, 2)
    left_behind = cluster_processes(ws.root / "user" / ".kwok")
    figures["destroy_remaining"] = len(left_behind) + len([r for r in st.resources()
                                                           if r["type"] != "pulumi:pulumi:Stack"])
    print(f"ours: destroy {figures['destroy_s']}s, {figures['destroy_remaining']} thing(s) left", flush=True)


def _kwokctl(bin_dir: Path, root: Path, nodes: int, figures: dict[str, Any]) -> None:
    env = {"KWOK_WORKDIR": str(root / "kwokctl"), "PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(root)}
    kwokctl = str(bin_dir / "kwokctl")
    binaries = kwok_overrides({"hosts": {}}, bin_dir, "cf-kwokctl", 0)["kwokCluster"]["binaries"]
    flags = ["--kube-apiserver-binary", binaries["kubeApiserver"],
             "--kube-controller-manager-binary", binaries["kubeControllerManager"],
             "--kube-scheduler-binary", binaries["kubeScheduler"], "--kwok-controller-binary",
             binaries["kwokController"], "--etcd-binary", binaries["etcd"]]
    version = next(line.split("=", 1)[1] for line in (PROJECT_ROOT / "toolchain" / "versions.env").read_text()
                   .splitlines() if line.startswith("KUBERNETES_VERSION="))
    start = time.monotonic()
    try:
        subprocess.run([kwokctl, "create", "cluster", "--name", "cf-kwokctl", "--runtime", "binary",
                        "--kube-apiserver-port", str(free_port()), "--wait", "120s", *flags],
                       env={**env, "KWOK_KUBE_VERSION": version}, check=True, capture_output=True, timeout=600)
        create_s = time.monotonic() - start
        kubeconfig = yaml.safe_load(subprocess.run([kwokctl, "get", "kubeconfig", "--name", "cf-kwokctl"], env=env,
                                                   check=True, capture_output=True, text=True).stdout)
        path = root / "kwokctl-kubeconfig.yaml"
        path.write_text(yaml.safe_dump(kubeconfig))
        watch = ReadyWatch(path, nodes)
        watch.start()
        cpu, scale_start = _children_cpu(), time.monotonic()
        subprocess.run([kwokctl, "scale", "node", "--name", "cf-kwokctl", "--replicas", str(nodes)], env=env,
                       check=True, capture_output=True, timeout=1200)
        figures["kwokctl_cpu_s_per_1000_nodes"] = round((_children_cpu() - cpu) * 1000 / nodes, 2)
        watch.join()
        theirs_s = watch.seconds
        if theirs_s is None:
            raise EngineError("kwokctl's nodes never all became Ready")
        figures["kwokctl_create_s"] = round(create_s, 2)
        figures["kwokctl_scale_s"] = round(time.monotonic() - scale_start, 2)
        figures["kwokctl_ready_s"] = round(theirs_s, 2)
        figures["kwokctl_nodes_per_s"] = round(nodes / theirs_s, 1)
        print(f"kwokctl: create {create_s:.1f}s, {nodes} nodes Ready {theirs_s:.1f}s after the first appeared "
              f"({figures['kwokctl_nodes_per_s']} nodes/s)", flush=True)
    finally:
        subprocess.run([kwokctl, "delete", "cluster", "--name", "cf-kwokctl"], env=env, capture_output=True,
                       timeout=300)


def _run(bin_dir: Path, root: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    _ours(bin_dir, root, figures)
    _kwokctl(bin_dir, root, figures["nodes"], figures)
    figures["ratio_vs_kwokctl"] = round(figures["ours_nodes_per_s"] / figures["kwokctl_nodes_per_s"], 2)
    figures["up_vs_kwokctl"] = round(figures["up_s"] / (figures["kwokctl_create_s"] + figures["kwokctl_scale_s"]), 2)
    figures["destroy_vs_up"] = round(figures["destroy_s"] / figures["up_s"], 2)
    print(f"ratio vs kwokctl {figures['ratio_vs_kwokctl']} (goal >= 1.0), up vs kwokctl {figures['up_vs_kwokctl']} "
          f"(goal <= 1.5), destroy vs up {figures['destroy_vs_up']} (goal <= 1.0)")
    return figures
