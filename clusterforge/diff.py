"""`clusterforge diff`: what changes between two renders, for a pull request.

Compares two render directories (their plan.json and inventory.yaml), two directories of
renders (`render all --out DIR`: every stack in either), or a stack rendered at two git
refs. Resources are matched by URN; a changed resource lists the field paths that
differ (inputs, dependencies, parent, options), less those Pulumi ignores
(ignoreChanges), and says when the change replaces it. Secrets compare as `[secret]`
plus a fingerprint of their ciphertext, so a diff says a secret changed and never
shows one. Charts, node group sizes and host counts: diff_details; provisioning commands
in words: diff_provisioning. The diff is computed once (`diff_plans`), summary included;
text (`as_text`) and Markdown (diff_markdown) only render it.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterforge import PROJECT_ROOT
from clusterforge.diff_details import (ChartChange, ReplicaChange, chart_changes, drop_ignored, field_paths,
                                       host_groups, node_group_edits, node_group_sizes, replace_reason,
                                       secret_changes, size_changes)
from clusterforge.diff_provisioning import NEW, RECORDS, RUNS, CommandChange, command_change, grouped
from components.config.input_files import MAX_PLAN_BYTES, read_json_file, read_yaml_file


@dataclass
class Change:
    urn: str
    type: str
    name: str
    paths: list[str] = field(default_factory=list)
    # add, remove, update (inputs change), replace, or rewire (only edges/options change:
    # no provider call).
    action: str = "update"
    reason: str = ""


@dataclass
class PlanDiff:
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    stack: str = ""
    charts: list[ChartChange] = field(default_factory=list)
    node_groups: list[ReplicaChange] = field(default_factory=list)
    node_group_edits: list[str] = field(default_factory=list)  # labels, taints, capacity in words
    hosts: list[ReplicaChange] = field(default_factory=list)
    secrets: list[tuple[str, str]] = field(default_factory=list)
    # Provisioning commands in words (what changes on which hosts), by URN; such a command
    # is counted here, not among the resources.
    provisioning: dict[str, CommandChange] = field(default_factory=dict)
    # urn -> plan entry, old and new together: what the picture of the change draws from.
    entries: list[dict] = field(default_factory=list, repr=False)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.secrets)

    def resources(self, action: str) -> list[Change]:
        """Changes of `action` (add, remove, update, replace, rewire) less provisioning commands."""
        pool = self.added if action == "add" else self.removed if action == "remove" else self.changed
        return [c for c in pool if c.action == action and c.urn not in self.provisioning]

    def count(self, action: str) -> int:
        return len(self.resources(action))

    def summary_parts(self) -> list[str]:
        """The one summary both renderings print: counts, provisioning, charts, sizes, secrets."""
        if self.empty:
            return ["no changes"]
        counts = [f"{self.count('add')} to add", f"{self.count('update') + self.count('rewire')} to change",
                  f"{self.count('replace')} to replace", f"{self.count('remove')} to remove"]
        parts = [", ".join(counts)]
        commands = list(self.provisioning.values())
        if commands:
            runs = sum(1 for c in commands if c.outcome in (NEW, RUNS))
            records = sum(1 for c in commands if c.outcome == RECORDS)
            hosts = sum(1 for c in commands if c.outcome == NEW and c.name.startswith("join-"))
            words = [f"{runs} provisioning command{'s' * (runs != 1)} run"]
            words += [f"{records} only record new inputs"] if records else []
            words += [f"{hosts} new host{'s' * (hosts != 1)}"] if hosts else []
            parts.append(", ".join(words))
        parts += [f"chart {c.chart} {c.old_version} → {c.new_version}" for c in self.charts if c.bump]
        parts += [f"{c.group}{'/' + c.zone if c.zone else ''} {c.old or 0} → {c.new or 0}"
                  for c in (*self.node_groups, *self.hosts)]
        parts += [f"node group {e}" for e in self.node_group_edits]
        parts += [f"secret {key.split(':', 1)[-1]} {what}" for key, what in self.secrets]
        return parts

    def summary(self) -> str:
        return f"{self.stack}: " + "; ".join(self.summary_parts())

    def status(self) -> dict[str, str]:
        """urn -> add/change/replace/remove, for the picture."""
        out = {c.urn: "add" for c in self.added}
        out.update({c.urn: "remove" for c in self.removed})
        out.update({c.urn: "replace" if c.action == "replace" else "change" for c in self.changed})
        return out


def diff_plans(old: dict, new: dict) -> PlanDiff:
    from clusterforge.graph import union

    before = {r["urn"]: r for r in old.get("resources", [])}
    after = {r["urn"]: r for r in new.get("resources", [])}
    result = PlanDiff(stack=new.get("stack") or old.get("stack") or "")
    for urn in sorted(set(after) - set(before)):
        result.added.append(Change(urn, after[urn]["type"], after[urn]["name"], action="add"))
    for urn in sorted(set(before) - set(after)):
        result.removed.append(Change(urn, before[urn]["type"], before[urn]["name"], action="remove"))
    for urn in sorted(set(before) & set(after)):
        a, b = before[urn], after[urn]
        paths = []
        for key in ("inputs", "dependencies", "parent", "options", "provider"):
            paths += field_paths({key: a.get(key)}, {key: b.get(key)})
        paths = drop_ignored(paths, b.get("options") or {})
        if paths:
            reason = replace_reason(b["type"], paths, b.get("options") or {})
            inputs = any(p.startswith("inputs") for p in paths)
            action = "replace" if reason else "update" if inputs else "rewire"
            result.changed.append(Change(urn, b["type"], b["name"], paths, action, reason))
    result.charts = chart_changes(old, new, field_paths)
    result.node_groups = size_changes(node_group_sizes(old), node_group_sizes(new))
    result.node_group_edits = node_group_edits(old, new)
    result.hosts = size_changes(host_groups(old.get("inventory")), host_groups(new.get("inventory")))
    result.secrets = secret_changes(old, new)
    result.entries = union(old.get("resources", []), new.get("resources", []))
    cluster = str((new.get("outputs") or old.get("outputs") or {}).get("clusterName") or "")
    for c in (*result.added, *result.removed, *result.changed):
        described = command_change(before.get(c.urn), after.get(c.urn), c.action, cluster)
        if described is not None:
            result.provisioning[c.urn] = described
    return result


def as_text(d: PlanDiff) -> str:
    """The plain-text rendering of the diff: the same summary, sections and rows as the Markdown."""
    if d.empty:
        return ""
    lines = [d.summary()]
    if d.charts:
        lines.append("charts:")
        for c in d.charts:
            lines.append(f"  {c.release} ({c.chart}) {c.old_version or '(new)'} -> {c.new_version or '(removed)'}"
                         + ("; repository changed" if c.repository else ""))
            lines += [f"    values {v.path}: {v.old} -> {v.new}" for v in c.values]
    for title, changes in (("node groups", d.node_groups), ("hosts", d.hosts)):
        if changes:
            lines.append(f"{title}:")
            lines += [f"  {c.group}{' in ' + c.zone if c.zone else ''}: {c.old or 0} -> {c.new or 0} "
                      f"({'+' if c.delta > 0 else ''}{c.delta})" for c in changes]
    if d.node_group_edits:
        lines += ["node group edits:", *(f"  {e}" for e in d.node_group_edits)]
    if d.provisioning:
        lines.append("provisioning:")
        lines += [f"  {c.line()}" for c in provisioning_rows(d)]
    lines += [f"~ secret {key} {what} (value not shown)" for key, what in d.secrets]
    for sign, action in (("+", "add"), ("-", "remove"), ("~", "update"), ("~", "rewire"), ("!", "replace")):
        for c in d.resources(action):
            lines.append(f"{sign} {c.type} {c.name}" + (f"  (replace: {c.reason})" if c.reason else ""))
            lines += [f"    {p}" for p in c.paths]
    return "\n".join(lines) + "\n"


def provisioning_rows(d: PlanDiff) -> list[CommandChange]:
    """The provisioning commands as both renderings list them (diff_provisioning.grouped)."""
    return grouped(list(d.provisioning.values()))


class DiffError(Exception):
    """Nothing to compare: a missing or unreadable render, ref or stack, or a config with findings."""


def load_plan(directory: Path) -> dict:
    """A render's plan.json, with its inventory (host counts) when the render wrote one."""
    path = Path(directory) / "plan.json"
    if not path.is_file():
        raise DiffError(f"{path} not found: give a directory written by `clusterforge render`")
    try:
        plan = read_json_file(path)
    except (OSError, ValueError) as err:
        raise DiffError(f"{path} is not a render's plan ({err}); render the stack again") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("resources", []), list):
        raise DiffError(f"{path} is not a render's plan; render the stack again")
    inventory = Path(directory) / "inventory.yaml"
    if inventory.is_file():
        try:
            plan["inventory"] = read_yaml_file(inventory, MAX_PLAN_BYTES)
        except (OSError, ValueError) as err:
            raise DiffError(f"{inventory} is not a render's inventory ({err}); render the stack again") from None
    return plan


def render_roots(old: Path, new: Path) -> list[tuple[str, dict, dict]] | None:
    """(stack, old plan, new plan) for directories of renders (`render all --out DIR`);
    a stack in only one of them diffs against nothing. None when they are single renders."""
    if (old / "plan.json").is_file() or (new / "plan.json").is_file():
        return None
    stacks = sorted({p.parent.name for root in (old, new) for p in root.glob("*/plan.json")})
    if not stacks:
        raise DiffError(f"no plan.json in {old} or {new}, nor in their subdirectories: "
                        "give directories written by `clusterforge render`")
    empty = {"resources": []}
    return [(s, load_plan(old / s) if (old / s / "plan.json").is_file() else {**empty, "stack": s},
             load_plan(new / s) if (new / s / "plan.json").is_file() else {**empty, "stack": s}) for s in stacks]


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
