"""The pull-request comment: per stack what changes, in Markdown that GitHub renders.

First a one-line summary without links, then a section per changed stack (charts,
node groups, hosts, secrets, resources, a Mermaid picture of what changed) and one line
per unchanged stack. The hidden marker lets the workflow find and update its comment.
"""
from __future__ import annotations

from collections.abc import Sequence

from clusterforge.diff import PlanDiff, provisioning_rows
from clusterforge.diff_provisioning import NEW, RECORDS, REMOVED, RUNS
from clusterforge.graph import mermaid, short_type

MARKER = "<!-- clusterforge-diff -->"
MAX_PATHS = 8  # field paths listed per resource before "and N more"
OUTCOMES = {NEW: "➕ new host", RUNS: "▶️ runs", RECORDS: "📝 records inputs", REMOVED: "➖ removed"}
SIGNS = {"add": "➕ add", "remove": "➖ remove", "update": "✏️ update", "replace": "♻️ replace",
         "rewire": "🔀 order"}


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def stack_summary(d: PlanDiff) -> str:
    """The model's one summary (the text rendering prints the same line)."""
    return d.summary()


def summary_line(diffs: Sequence[PlanDiff]) -> str:
    changed = [stack_summary(d) for d in diffs if not d.empty]
    same = sum(1 for d in diffs if d.empty)
    if not changed:
        return f"**clusterforge diff**: no changes in {same} stack{'s' * (same != 1)}"
    tail = [f"{same} stack{'s' * (same != 1)} unchanged"] if same else []
    return "**clusterforge diff**: " + " · ".join(changed + tail)


def _charts(d: PlanDiff) -> list[str]:
    if not d.charts:
        return []
    lines = ["**Helm charts**", "", "| release | chart | version | values |", "|---|---|---|---|"]
    for c in d.charts:
        if c.old_version is None:
            version = f"added at {c.new_version}"
        elif c.new_version is None:
            version = f"removed (was {c.old_version})"
        elif c.bump:
            version = f"{c.old_version} → **{c.new_version}**"
        else:
            version = f"{c.new_version}"
        values = [f"`{v.path}`: {v.old} → {v.new}" for v in c.values[:MAX_PATHS]]
        if len(c.values) > MAX_PATHS:
            values.append(f"and {len(c.values) - MAX_PATHS} more")
        if c.repository:
            values.append("repository changed")
        lines.append(f"| `{c.release}` | `{c.chart}` | {version} | {'<br>'.join(values) or '—'} |")
    return lines + [""]


def _replicas(title: str, first: str, changes) -> list[str]:
    if not changes:
        return []
    lines = [f"**{title}**", "", f"| {first} | before | after | change |", "|---|---:|---:|---:|"]
    for c in changes:
        name = f"`{c.group}`" + (f" in `{c.zone}`" if c.zone else "")
        lines.append(f"| {name} | {c.old or 0} | {c.new or 0} | {_signed(c.delta)} |")
    return lines + [""]


def _provisioning(d: PlanDiff) -> list[str]:
    if not d.provisioning:
        return []
    lines = ["**Provisioning** (▶️ runs its playbook on the hosts named; 📝 records the new inputs and "
             "contacts no host)", "", "| | command | what changes | where |", "|---|---|---|---|"]
    for c in provisioning_rows(d):
        what = "<br>".join(c.what) or ("new host" if c.outcome == NEW else "—")
        where = c.where if c.outcome in (NEW, RUNS) else "no host"
        lines.append(f"| {OUTCOMES[c.outcome]} | `{c.name}` | {what} | {where or '—'} |")
    return lines + [""]


def _resources(d: PlanDiff) -> list[str]:
    rows = [c for action in SIGNS for c in d.resources(action)]
    if not rows:
        return []
    lines = ["**Resources**", "", "| | type | name | changed fields |", "|---|---|---|---|"]
    for c in sorted(rows, key=lambda c: (list(SIGNS).index(c.action), c.type, c.name)):
        paths = [f"`{p}`" for p in c.paths[:MAX_PATHS]]
        if len(c.paths) > MAX_PATHS:
            paths.append(f"and {len(c.paths) - MAX_PATHS} more")
        if c.reason:
            paths.append(f"_{c.reason}_")
        lines.append(f"| {SIGNS[c.action]} | `{short_type(c.type)}` | `{c.name}` | {'<br>'.join(paths) or '—'} |")
    return lines + [""]


def section(d: PlanDiff) -> str:
    """One stack's part of the comment: one line when nothing changes."""
    if d.empty:
        return f"- **{d.stack}**: no changes\n"
    lines = [f"### {d.stack}", "", stack_summary(d), ""]
    lines += _charts(d) + _replicas("Node groups", "node group", d.node_groups)
    if d.node_group_edits:
        lines += ["**Node group edits**", ""] + [f"- {e}" for e in d.node_group_edits] + [""]
    lines += _replicas("Hosts", "inventory group", d.hosts)
    if d.secrets:
        lines += ["**Secrets**", ""] + [f"- `{key}`: {what} (value not shown)" for key, what in d.secrets] + [""]
    lines += _provisioning(d) + _resources(d)
    picture = mermaid(d.entries, d.status())
    if picture:
        lines += ["**Picture of the change** (added green, changed yellow, replaced orange, removed red, "
                  "unchanged neighbours grey; a re-run command is drawn as replaced)", "",
                  "```mermaid", picture.rstrip("\n"), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def comment(diffs: Sequence[PlanDiff]) -> str:
    ordered = sorted(diffs, key=lambda d: (d.empty, d.stack))
    changed = [section(d) for d in ordered if not d.empty]
    same = "".join(section(d) for d in ordered if d.empty)
    return "\n".join([summary_line(ordered) + "\n", *changed, *([same] if same else []), MARKER]) + "\n"


def as_markdown(d: PlanDiff) -> str:
    """The PR comment for one stack (one line when nothing changes)."""
    return comment([d])
