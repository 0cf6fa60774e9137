"""`clusterforge bench emulation`: render the emulated stack at 2,550 and 10,000 nodes.

Each render runs in its own Python process so its peak memory (max RSS) is its own.
Then it times the bulk-apply plan of a 10% scale-down of the 10,000-node cluster,
planned against the observed nodes as the apply command does.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION

STACK = "emulated"

# Runs in the child: render, then report wall time, own peak RSS and resource count.
_CHILD = """
import json, resource, sys, time
from pathlib import Path
from clusterforge.render import render_stack
stack, out, overrides = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
start = time.perf_counter()
result = render_stack(stack, out, overrides)
seconds = time.perf_counter() - start
nodes = sum(1 for o in result.objects if o.get("kind") == "Node")
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "resources": len(result.recording.resources), "nodes": nodes}))
"""


def emulation_section() -> dict[str, Any]:
    doc = yaml.safe_load((PROJECT_ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text())
    return doc["config"]["clusterforge:emulation"]


def scaled_section(total: int) -> dict[str, Any]:
    """The stack's node groups with replicas scaled so that they add up to `total`."""
    section = copy.deepcopy(emulation_section())
    places = [p for g in section["nodeGroups"] for p in g["placement"]]
    current = sum(p["replicas"] for p in places)
    for place in places:
        place["replicas"] = place["replicas"] * total // current
    places[0]["replicas"] += total - sum(p["replicas"] for p in places)
    return section


def render_in_child(total: int, out: Path) -> dict[str, Any]:
    overrides = {"emulation": scaled_section(total)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, STACK, str(out), json.dumps(overrides)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"render of {total} nodes failed:\n{proc.stderr[-2000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    if figures["nodes"] != total:
        raise RuntimeError(f"render declared {figures['nodes']} nodes, expected {total}")
    return figures


def time_scale_down_plan(total: int = 10_000, fraction: float = 0.1) -> tuple[float, int]:
    from components.config.emulation import EmulationConfig
    from components.plan.emulation.nodes import emulation_specs, group_nodes
    from components.plan.emulation.planner import plan

    old_cfg = EmulationConfig.model_validate(scaled_section(total))
    new_cfg = EmulationConfig.model_validate(scaled_section(round(total * (1 - fraction))))
    old_specs = emulation_specs(old_cfg, DEFAULT_KUBERNETES_VERSION)
    new_specs = emulation_specs(new_cfg, DEFAULT_KUBERNETES_VERSION)
    observed = [group_nodes(s) for s in old_specs]  # what the API would list
    start = time.perf_counter()
    deletes = sum(len(plan(o, n, obs).deletes) for o, n, obs in zip(old_specs, new_specs, observed))
    return time.perf_counter() - start, deletes


def run() -> dict:
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-emulation-") as tmp:
        for total in (2550, 10_000):
            result = render_in_child(total, Path(tmp) / str(total))
            print(f"render {total:,} nodes: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB, "
                  f"{result['resources']} resources", flush=True)
            figures[f"render_{total}_s"] = round(result["seconds"], 3)
            figures[f"resources_{total}"] = result["resources"]
            if total == 10_000:
                figures["peak_mb_10000"] = round(result["peak_mb"], 1)
    seconds, deletes = time_scale_down_plan()
    print(f"plan of a 10% scale-down of 10,000 nodes: {seconds:.3f} s, {deletes:,} deletes", flush=True)
    figures["scale_down_plan_s"] = round(seconds, 3)
    order = ["render_2550_s", "render_10000_s", "peak_mb_10000", "resources_2550", "resources_10000",
             "scale_down_plan_s"]
    return {k: figures[k] for k in order}
