"""`clusterforge diff`: what changes between two renders, for a pull request.

Compares two render directories (their plan.json), or a stack rendered at two git
refs. Resources are matched by URN; a changed resource lists the field paths that
differ (inputs, dependencies, parent, options). Secrets compare as `[secret]`, so a
diff never shows one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import PROJECT_ROOT


@dataclass
class Change:
    urn: str
    type: str
    name: str
    paths: list[str] = field(default_factory=list)


@dataclass
class PlanDiff:
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _field_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        paths = []
        for key in sorted(set(old) | set(new)):
            sub = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                paths.append(sub)
            else:
                paths += _field_paths(old[key], new[key], sub)
        return paths
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in _field_paths(a, b, f"{prefix}[{i}]")]
    return [] if old == new else [prefix or "(value)"]


def diff_plans(old: dict, new: dict) -> PlanDiff:
    before = {r["urn"]: r for r in old.get("resources", [])}
    after = {r["urn"]: r for r in new.get("resources", [])}
    result = PlanDiff()
    for urn in sorted(set(after) - set(before)):
        result.added.append(Change(urn, after[urn]["type"], after[urn]["name"]))
    for urn in sorted(set(before) - set(after)):
        result.removed.append(Change(urn, before[urn]["type"], before[urn]["name"]))
    for urn in sorted(set(before) & set(after)):
        a, b = before[urn], after[urn]
        paths = []
        for key in ("inputs", "dependencies", "parent", "options", "provider"):
            paths += _field_paths({key: a.get(key)}, {key: b.get(key)})
        if paths:
            result.changed.append(Change(urn, b["type"], b["name"], paths))
    return result


def as_text(d: PlanDiff) -> str:
    lines = []
    for sign, items in (("+", d.added), ("-", d.removed), ("~", d.changed)):
        for c in items:
            lines.append(f"{sign} {c.type} {c.name}")
            lines += [f"    {p}" for p in c.paths]
    if lines:
        lines.append(f"{len(d.added)} to add, {len(d.changed)} to change, {len(d.removed)} to remove")
    return "\n".join(lines) + ("\n" if lines else "")


def as_markdown(d: PlanDiff) -> str:
    if d.empty:
        return ""
    lines = [f"**clusterforge diff**: {len(d.added)} to add, {len(d.changed)} to change, "
             f"{len(d.removed)} to remove", "", "| | type | name | changed fields |", "|---|---|---|---|"]
    for sign, items in (("➕", d.added), ("➖", d.removed), ("✏️", d.changed)):
        for c in items:
            fields = "<br>".join(f"`{p}`" for p in c.paths)
            lines.append(f"| {sign} | `{c.type}` | `{c.name}` | {fields} |")
    return "\n".join(lines) + "\n"


class DiffError(Exception):
    """Nothing to compare: a missing or unreadable render, ref or stack, or a config with findings."""


def load_plan(directory: Path) -> dict:
    path = Path(directory) / "plan.json"
    if not path.is_file():
        raise DiffError(f"{path} not found: give a directory written by `clusterforge render`")
    try:
        plan = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DiffError(f"{path} is not a render's plan ({err}); render the stack again") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("resources", []), list):
        raise DiffError(f"{path} is not a render's plan; render the stack again")
    return plan


def _ref_sha(ref: str, repo: Path) -> str:
    found = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        raise DiffError(f"{ref!r} is not a commit of {repo} (git rev-parse found none); give a branch, tag or SHA")
    return found.stdout.strip()


def render_at_ref(ref: str, stack: str, workdir: Path, repo: Path | None = None) -> Path:
    """Render `stack` as committed at `ref`, in a throwaway worktree; returns the render dir.

    Raises DiffError with the render's own report (its findings) when it renders nothing."""
    repo = repo or PROJECT_ROOT
    sha = _ref_sha(ref, repo)
    tree = workdir / f"tree-{ref.replace('/', '_')}"
    added = subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--force", str(tree), sha],
                           capture_output=True, text=True)
    if added.returncode != 0:
        raise DiffError(f"cannot check out {ref}: {added.stderr.strip()}")
    out = workdir / f"render-{ref.replace('/', '_')}"
    try:
        rendered = subprocess.run([sys.executable, "-m", "clusterforge.cli", "render", stack, "--out", str(out)],
                                  cwd=tree, capture_output=True, text=True,
                                  env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
                       capture_output=True, text=True)
    if rendered.returncode != 0:
        report = (rendered.stderr.strip() or rendered.stdout.strip()).splitlines()
        if any(line.startswith("Traceback (most recent call last)") for line in report):
            report = [report[-1]]  # the code at that ref crashed: its last line says why
        raise DiffError(f"stack {stack} does not render at {ref}:\n" + "\n".join(f"  {line}" for line in report))
    return out


def diff_refs(old_ref: str, new_ref: str, stack: str) -> PlanDiff:
    with tempfile.TemporaryDirectory(prefix="clusterforge-diff-") as tmp:
        old = load_plan(render_at_ref(old_ref, stack, Path(tmp)))
        new = load_plan(render_at_ref(new_ref, stack, Path(tmp)))
    return diff_plans(old, new)
