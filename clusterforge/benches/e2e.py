"""`clusterforge bench e2e`: the emulated-kwok stack on a real control plane.

One run, one cluster (kwokctl's binary runtime, binaries from scripts/toolchain.sh):
  1. up: the stack's own commands (cluster, stages, node groups: 2,553 nodes);
     `ours_nodes_per_s` = nodes / seconds until every node is Ready;
  2. an unchanged re-run (`noop_changes`: commands that ran), an edit that scales one
     zone of one group down 10% (`edit_changed_only_group`);
  3. our groups deleted, then `kwokctl scale node` creates the same count on the same
     cluster: `kwokctl_nodes_per_s`, measured the same way;
  4. destroy: `destroy_remaining` = nodes of the groups + cluster processes left.
`preview_ok` and `render_matches_preview` need the Pulumi engine to run the program,
which the module proxy does not allow here (toolchain/README.md): both print null.
"""
from __future__ import annotations

import copy
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from clusterforge.kwok_live import (LiveStack, cluster_processes, destroy, free_port, group_commands,
                                    kwok_overrides, missing_binaries, toolchain_bin, up, update)
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack

STACK = "emulated-kwok"
GOAL_NODES_PER_S = 83  # KWOK's CI brings 5,000 nodes Ready in 60 s


def _core(kubeconfig: str):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(kubeconfig)))


def _ready_count(core, selector: str | None = None) -> tuple[int, int]:
    raw = core.list_node(label_selector=selector or "", _preload_content=False)
    nodes = json.loads(raw.data)["items"]
    ready = sum(1 for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in n.get("status", {}).get("conditions", [])))
    return len(nodes), ready


def _wait_ready(core, count: int, start: float, timeout_s: float = 600) -> float:
    """Seconds from `start` until `count` nodes exist and are Ready."""
    while True:
        total, ready = _ready_count(core)
        if total >= count and ready >= count:
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise RuntimeError(f"{ready} of {count} nodes Ready after {timeout_s:.0f}s")
        time.sleep(0.25)


def _render(config: dict[str, Any]):
    return run_stack(STACK, {k: config[k] for k in ("hosts", "emulation", "addons")})


def run() -> dict[str, Any]:
    bin_dir = toolchain_bin()
    missing = missing_binaries(bin_dir)
    if missing:
        print(f"bench e2e: the toolchain lacks {', '.join(missing)} in {bin_dir}; run scripts/toolchain.sh")
        return {"error": f"missing {', '.join(missing)}"}
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-e2e-") as tmp:
        return _run(bin_dir, Path(tmp))


def _run(bin_dir: Path, workdir: Path) -> dict[str, Any]:
    config = copy.deepcopy(read_stack(STACK).namespaced())
    config["hosts"] = kwok_overrides(config, bin_dir, "cf-bench", free_port())
    kwokctl = config["hosts"]["kwokCluster"]["kwokctl"]
    rec = _render(config)
    nodes = sum(r for g in group_commands(rec) for _, r in json.loads(g.inputs["stdin"])["zones"])
    live = LiveStack(workdir=workdir, env={"KWOK_WORKDIR": str(workdir)})
    figures: dict[str, Any] = {"nodes": nodes, "preview_ok": None, "render_matches_preview": None}
    try:
        start = time.monotonic()
        timings = up(live, rec)
        core = _core(live.kubeconfig)
        group_start = start + timings["cluster_s"]
        ours_s = _wait_ready(core, nodes, group_start)
        figures["up_s"] = round(time.monotonic() - start, 2)
        figures["ours_ready_s"] = round(ours_s, 2)
        figures["ours_nodes_per_s"] = round(nodes / ours_s, 1)
        print(f"up: cluster {timings['cluster_s']:.1f}s, {nodes} nodes applied in "
              f"{timings['node_groups_s']:.1f}s, all Ready after {ours_s:.1f}s")

        figures["noop_changes"] = len(update(live, _render(config)))
        edited = copy.deepcopy(config)
        group = next(g for g in edited["emulation"]["nodeGroups"] if g["name"] != "system")
        place = group["placement"][0]
        place["replicas"] -= place["replicas"] // 10
        rec = _render(edited)
        ran = update(live, rec)
        left = _ready_count(core, f"clusterforge.io/node-group={group['name']}")[0]
        figures["edit_changed_only_group"] = ran == [f"nodes-{group['name']}"] and left == sum(
            p["replicas"] for p in group["placement"])
        print(f"no-op re-run ran {figures['noop_changes']} command(s); the 10% scale-down of "
              f"{group['name']}/{place['availabilityZone']} ran {ran}")

        # Same cluster, same count: KWOK's own client creates the nodes.
        for g in reversed(group_commands(rec)):
            live.delete_command(g.name)
        while _ready_count(core)[0]:
            time.sleep(0.5)
        env = {"KWOK_WORKDIR": str(workdir), "PATH": f"{bin_dir}:/usr/bin:/bin"}
        start = time.monotonic()
        subprocess.run([kwokctl, "scale", "node", "--name", "cf-bench", "--replicas", str(nodes)],
                       env=env, check=True, capture_output=True, timeout=900)
        theirs_s = _wait_ready(core, nodes, start)
        figures["kwokctl_ready_s"] = round(theirs_s, 2)
        figures["kwokctl_nodes_per_s"] = round(nodes / theirs_s, 1)
        figures["ratio_vs_kwokctl"] = round(figures["ours_nodes_per_s"] / figures["kwokctl_nodes_per_s"], 2)
        print(f"kwokctl scale node: {nodes} nodes Ready after {theirs_s:.1f}s")
        subprocess.run([kwokctl, "scale", "node", "--name", "cf-bench", "--replicas", "0"], env=env,
                       check=True, capture_output=True, timeout=900)
    finally:
        destroy(live, rec)
    remaining = len(cluster_processes(workdir))
    figures["destroy_remaining"] = remaining
    figures["goal_nodes_per_s"] = GOAL_NODES_PER_S
    print(f"ours {figures.get('ours_nodes_per_s')} nodes/s, kwokctl {figures.get('kwokctl_nodes_per_s')} "
          f"nodes/s (ratio {figures.get('ratio_vs_kwokctl')}); goal >= {GOAL_NODES_PER_S} nodes/s and ratio >= 1.0")
    print("preview_ok, render_matches_preview: null (the Pulumi engine cannot run the program here)")
    return figures
