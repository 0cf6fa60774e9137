"""The pull-request comment: per stack what changes, in Markdown that GitHub renders.

First a one-line summary without links, then a section per changed stack (charts,
node groups, hosts, secrets, resources, a Mermaid picture of what changed) and one line
per unchanged stack. The hidden marker lets the workflow find and update its comment.
"""
from __future__ import annotations

from collections.abc import Sequence

from clusterforge.diff import PlanDiff
from clusterforge.graph import mermaid, short_type

MARKER = "<!-- clusterforge-diff -->"
MAX_PATHS = 8  # field paths listed per resource before "and N more"
SIGNS = {"add": "➕ add", "remove": "➖ remove", "update": "✏️ update", "replace": "♻️ replace",
         "rewire": "🔀 order"}


def _count(n: int, what: str) -> str:
    return f"{n} {what}"


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _sizes(changes) -> list[str]:
    return [f"{c.group}{'/' + c.zone if c.zone else ''} {c.old or 0} → {c.new or 0}" for c in changes]


def stack_summary(d: PlanDiff) -> str:
    """`homelab: 1 to add, 2 to change, 0 to replace, 0 to remove; chart x 1.0.0 → 1.1.0; ...`"""
    if d.empty:
        return f"{d.stack}: no changes"
    to_change = d.count("update") + d.count("rewire")
    parts = [", ".join([_count(len(d.added), "to add"), _count(to_change, "to change"),
                        _count(d.count("replace"), "to replace"), _count(len(d.removed), "to remove")])]
    parts += [f"chart {c.chart} {c.old_version} → {c.new_version}" for c in d.charts if c.bump]
    parts += _sizes(d.node_groups) + _sizes(d.hosts)
    parts += [f"secret {key.split(':', 1)[-1]} {what}" for key, what in d.secrets]
    return f"{d.stack}: " + "; ".join(parts)


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


def _resources(d: PlanDiff) -> list[str]:
    rows = [*d.added, *d.removed, *d.changed]
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
    lines += _replicas("Hosts", "inventory group", d.hosts)
    if d.secrets:
        lines += ["**Secrets**", ""] + [f"- `{key}`: {what} (value not shown)" for key, what in d.secrets] + [""]
    lines += _resources(d)
    picture = mermaid(d.entries, d.status())
    if picture:
        lines += ["**Picture of the change** (added green, changed yellow, replaced orange, removed red, "
                  "unchanged neighbours grey)", "", "```mermaid", picture.rstrip("\n"), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def comment(diffs: Sequence[PlanDiff]) -> str:
    ordered = sorted(diffs, key=lambda d: (d.empty, d.stack))
    changed = [section(d) for d in ordered if not d.empty]
    same = "".join(section(d) for d in ordered if d.empty)
    return "\n".join([summary_line(ordered) + "\n", *changed, *([same] if same else []), MARKER]) + "\n"


def as_markdown(d: PlanDiff) -> str:
    """The PR comment for one stack (one line when nothing changes)."""
    return comment([d])
