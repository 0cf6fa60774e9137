"""`clusterforge render`: evaluate a stack offline and write what it would deploy.

Artifacts (all deterministic, so two renders of one stack are byte-identical):
  plan.json        every registered resource (components too) with inputs and edges, and
                   which secrets the stack sets (fingerprints of their ciphertext, for diff)
  manifests/       every Kubernetes object the program declares, as YAML
  releases/        every Helm release: chart, repository, version, values
  inventory.yaml   the Ansible inventory the provisioning phases use
  graph.dot/.svg   the dependency graph: components as boxes, each dependency once, left to right
  notes.txt        what the program said (parts declared but not built yet, ...)
The directory holds a marker file; only such a directory (or an empty or new one) is
ever replaced, see render_out.py.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT, graph
from clusterforge.mockrun import Recording, Registration, run_stack
from clusterforge.render_out import RenderOutError, check_out_dir, fresh_out_dir
from clusterforge.stackfile import StackFile, apply_overrides, prepare_offline, read_stack
from components.config import ConfigError
from components.config.model import StackConfig

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
# Kubernetes resource types that are not objects in the cluster.
_NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with multi-line strings kept readable."""


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=100)


def dump_yaml_all(docs: list[Any]) -> str:
    """Many plain objects (thousands of emulated Nodes): the C emitter, same layout."""
    return yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False, width=100)


@dataclass
class RenderResult:
    stack: str
    out: Path
    config: StackConfig
    recording: Recording
    objects: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    artifacts: dict[str, Path] = field(default_factory=dict)


def kubernetes_objects(recording: Recording) -> list[dict]:
    """Objects declared through pulumi-kubernetes resources, as their manifests."""
    objects = []
    for reg in recording.resources:
        if not reg.custom or not reg.type.startswith("kubernetes:") or reg.type.startswith(_NOT_OBJECTS):
            continue
        obj = {k: v for k, v in reg.inputs.items() if not k.startswith("__")}
        if "apiVersion" in obj and "kind" in obj:
            objects.append(obj)
    return objects


def _file_name(*parts: str) -> str:
    """A YAML file name from names: nothing but [a-z0-9.-], so it stays in its directory."""
    return re.sub(r"[^a-z0-9.-]+", "-", "-".join(p for p in parts if p).lower()) + ".yaml"


def _object_file(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return _file_name(obj["kind"], meta.get("namespace", ""), str(meta.get("name", "unnamed")))


def _release_doc(reg: Registration) -> dict:
    inputs = reg.inputs
    repo = (inputs.get("repositoryOpts") or {}).get("repo", "")
    values = inputs.get("values", {})
    return {
        "name": inputs.get("name", reg.name),
        "namespace": inputs.get("namespace", "default"),
        "chart": inputs.get("chart", ""),
        "repository": repo,
        "version": inputs.get("version", ""),
        "values": values,
        "dependsOn": sorted({d.split("::")[-1] for d in reg.dependencies}),
    }


def _plan(recording: Recording) -> dict:
    resources = []
    for reg in sorted(recording.resources, key=lambda r: r.urn):
        entry = {"urn": reg.urn, "type": reg.type, "name": reg.name, "parent": reg.parent,
                 "dependencies": reg.dependencies, "inputs": reg.inputs}
        if reg.provider:
            entry["provider"] = reg.provider
        if reg.options:
            entry["options"] = reg.options
        resources.append(entry)
    from clusterforge.secret_state import secret_state

    return {"stack": recording.stack, "outputs": recording.outputs, "resources": resources,
            "secrets": secret_state(recording.config)}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _inventory(cfg: StackConfig, recording: Recording) -> str:
    """The inventory the phases run with: read from the program's own reset-on-destroy
    command (whose stdin is the whole cluster's inventory; each per-node command gets its
    host's slice of it). Where addresses are known only after apply (a cloud), the same
    plan with the planned hosts, placeholders in place of the addresses."""
    if not cfg.uses_kubeadm:
        return "# kind clusters are not provisioned with Ansible: no inventory\nall: {}\n"
    recorded = run_inventory(recording)
    if recorded is not None:
        return dump_yaml(recorded)
    from components.plan.provisioning.work import plan_work
    from components.plan.stack_plan import build_plan

    return dump_yaml(plan_work(cfg, build_plan(cfg).hosts).inventory)


def run_inventory(recording: Recording) -> dict | None:
    """The inventory on the reset-on-destroy command's stdin, None while it is unknown."""
    from components.provisioning import RESET_ON_DESTROY

    for reg in recording.resources:
        if reg.name == RESET_ON_DESTROY and reg.type == "command:local:Command":
            try:
                return json.loads(reg.inputs.get("stdin", ""))["inventory"]
            except (ValueError, KeyError, TypeError):
                return None
    return None


def render_stack(stack: str, out: Path | None = None, overrides: dict[str, Any] | None = None,
                 root: Path = PROJECT_ROOT) -> RenderResult:
    """Render one stack into `out` (default build/STACK). Raises ConfigError on bad config,
    RenderOutError (before anything is evaluated or removed) on an output path it must not use."""
    stack_file = apply_overrides(read_stack(stack, root), overrides)
    out = Path(out) if out is not None else root / "build" / stack
    check_out_dir(out)
    cfg, notes = prepare_offline(stack_file)
    recording = _evaluate(stack_file, root)
    result = RenderResult(stack=stack, out=out, config=cfg, recording=recording, notes=notes)
    result.notes += [msg for level, msg in recording.logs if level in ("warning", "error")]

    fresh_out_dir(out, stack)
    a = result.artifacts
    plan = _plan(recording)
    a["plan"] = _write(out / "plan.json", json.dumps(plan, indent=2, sort_keys=True) + "\n")

    result.objects = kubernetes_objects(recording)
    for obj in result.objects:
        _write(out / "manifests" / _object_file(obj), dump_yaml(obj))
    from components.plan.emulation.objects import declared_objects

    for stem, objs in sorted(declared_objects(cfg).items()):
        result.objects.extend(objs)
        _write(out / "manifests" / f"{stem}.yaml", dump_yaml_all(objs))
    (out / "manifests").mkdir(exist_ok=True)
    a["manifests"] = out / "manifests"

    (out / "releases").mkdir()
    for reg in recording.of_type(HELM_RELEASE):
        doc = _release_doc(reg)
        _write(out / "releases" / _file_name(doc["namespace"], doc["name"]), dump_yaml(doc))
    a["releases"] = out / "releases"

    a["inventory"] = _write(out / "inventory.yaml", _inventory(cfg, recording))
    a["graph"] = _write(out / "graph.dot", graph.dot(plan["resources"]))
    svg = out / "graph.svg"
    dot = shutil.which("dot")
    drawn = subprocess.run([dot, "-Tsvg", "-o", str(svg), str(a["graph"])], capture_output=True,
                           text=True) if dot else None
    if drawn is not None and drawn.returncode == 0:
        a["picture"] = svg
    elif drawn is None:
        result.notes.append("graph.svg skipped: Graphviz's `dot` is not installed (apt-get install graphviz); "
                            "graph.dot holds the same graph")
    else:
        result.notes.append(f"graph.svg skipped: Graphviz's `dot` failed ({drawn.stderr.strip()[:200]}); "
                            "graph.dot holds the same graph")
    a["notes"] = _write(out / "notes.txt", "".join(f"{n}\n" for n in result.notes))
    return result


def _evaluate(stack_file: StackFile, root: Path) -> Recording:
    # run_stack re-reads the file; hand it the already-prepared values instead.
    from clusterforge import mockrun

    return mockrun.run_prepared(stack_file, root)


def summary(result: RenderResult) -> str:
    counts = Counter(reg.type for reg in result.recording.resources)
    lines = [f"stack {result.stack}: {len(result.recording.resources)} resources, "
             f"{len(result.objects)} Kubernetes objects"]
    width = max((len(t) for t in counts), default=0)
    lines += [f"  {t:<{width}}  {n}" for t, n in sorted(counts.items())]
    from components.plan.emulation.objects import capacity_summary

    capacity = capacity_summary(result.config)
    if capacity:
        from components.plan.emulation.capacity import KWOK_NOTE

        lines += ["emulated capacity:", *("  " + line for line in capacity.splitlines()), f"  {KWOK_NOTE}"]
    if result.notes:
        lines += ["notes:", *(f"  - {n}" for n in result.notes)]
    lines += ["artifacts:", *(f"  {k:<9}  {p}" for k, p in result.artifacts.items())]
    return "\n".join(lines)


__all__ = ["ConfigError", "RenderOutError", "RenderResult", "render_stack", "summary", "run_stack"]
