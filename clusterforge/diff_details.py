"""What a reviewer wants from a diff beyond field paths: replacements, chart versions and
values, node group sizes, host counts, and which secrets changed (never their values).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart")
SECRET_TEXT = "[secret]"
ABSENT = object()  # a field path one side does not have

# Inputs whose change makes the provider replace the resource rather than update it.
FORCE_NEW: dict[str, tuple[str, ...]] = {
    "proxmoxve:index/vmLegacy:VmLegacy": ("vmId", "nodeName"),
    "aws:ec2/instance:Instance": ("ami", "subnetId", "keyName", "availabilityZone"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "vpcId", "availabilityZone"),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/keyPair:KeyPair": ("publicKey",),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}
KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")
# Paths whose values are never printed, even when not marked secret.
SENSITIVE = re.compile(r"(password|passwd|secret|token|private_?key|api_?key|credential|kubeconfig)", re.I)


def _pattern(option_path: str) -> re.Pattern:
    """An ignoreChanges/replaceOnChanges path (`triggers[*]`, `disks[0].speed`) as a regex."""
    parts = re.escape(option_path).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^.\[]+")
    return re.compile(rf"^inputs\.{parts}($|[.\[])")


def matches(path: str, option_paths) -> bool:
    return any(_pattern(p).match(path) for p in option_paths or ())


def drop_ignored(paths: list[str], options: Mapping[str, Any]) -> list[str]:
    """Pulumi never acts on paths listed in ignoreChanges: neither does the diff."""
    return [p for p in paths if not matches(p, options.get("ignoreChanges"))]


def replace_reason(type_: str, paths: list[str], options: Mapping[str, Any]) -> str:
    """Why these changed paths replace the resource ('' when they update it in place)."""
    hits = [p for p in paths if matches(p, options.get("replaceOnChanges"))]
    if hits:
        return f"replaceOnChanges: {', '.join(sorted(options['replaceOnChanges']))}"
    forced = FORCE_NEW.get(type_, ())
    if type_.startswith("kubernetes:") and type_ not in HELM_TYPES:
        forced = KUBERNETES_IDENTITY
    hits = [p for p in paths if any(p == f"inputs.{f}" or p.startswith(f"inputs.{f}.") for f in forced)]
    return f"{', '.join(h[len('inputs.'):] for h in hits)} cannot change in place" if hits else ""


def shown(path: str, old: Any, new: Any) -> tuple[str, str]:
    """Both sides of a value change, fit for a PR comment: short scalars only, and nothing
    of a secret or credential (a value that was secret on either side stays hidden)."""
    if SECRET_TEXT in (old, new) or SENSITIVE.search(path):
        return "(secret)", "(secret)"

    def one(value: Any) -> str:
        if value is ABSENT:
            return "(absent)"
        if isinstance(value, (dict, list)):
            return "(object)"
        text = json.dumps(value)
        return text if len(text) <= 40 else "(long value)"
    return one(old), one(new)


def field_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Every field path where `old` and `new` differ (`inputs.y.z[1]`)."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths = []
        for key in sorted(set(old) | set(new)):
            sub = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                paths.append(sub)
            else:
                paths += field_paths(old[key], new[key], sub)
        return paths
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in field_paths(a, b, f"{prefix}[{i}]")]
    return [] if old == new else [prefix or "(value)"]


@dataclass
class ValueChange:
    path: str
    old: str
    new: str


@dataclass
class ChartChange:
    release: str  # namespace/name
    chart: str
    old_version: str | None  # None: the release is added
    new_version: str | None  # None: the release is removed
    values: list[ValueChange] = field(default_factory=list)
    repository: tuple[str, str] | None = None

    @property
    def bump(self) -> bool:
        return bool(self.old_version and self.new_version and self.old_version != self.new_version)


def _releases(plan: Mapping[str, Any]) -> dict[str, dict]:
    return {r["urn"]: r for r in plan.get("resources", []) if r["type"] in HELM_TYPES}


def chart_changes(old: Mapping[str, Any], new: Mapping[str, Any], field_paths) -> list[ChartChange]:
    before, after = _releases(old), _releases(new)
    out = []
    for urn in sorted(set(before) | set(after)):
        a, b = before.get(urn, {}).get("inputs"), after.get(urn, {}).get("inputs")
        ref = b if b is not None else a
        label = f"{ref.get('namespace', 'default')}/{ref.get('name', urn.rsplit('::', 1)[-1])}"
        change = ChartChange(label, str(ref.get("chart", "")), a.get("version") if a else None,
                             b.get("version") if b else None)
        if a is not None and b is not None:
            va, vb = a.get("values") or {}, b.get("values") or {}
            change.values = [ValueChange(p, *shown(p, value_at(va, p), value_at(vb, p)))
                             for p in field_paths(va, vb)]
            ra, rb = (a.get("repositoryOpts") or {}).get("repo"), (b.get("repositoryOpts") or {}).get("repo")
            change.repository = (ra, rb) if ra != rb else None
            if change.old_version == change.new_version and not change.values and not change.repository \
                    and a.get("chart") == b.get("chart"):
                continue
        out.append(change)
    return out


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(doc: Any, path: str) -> Any:
    """The value at a field path (ABSENT when the path is not there)."""
    node = doc
    for name, index in _STEP.findall(path):
        try:
            node = node[int(index)] if index else node[name]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return node


@dataclass
class ReplicaChange:
    group: str
    zone: str
    old: int | None
    new: int | None

    @property
    def delta(self) -> int:
        return (self.new or 0) - (self.old or 0)


def node_group_sizes(plan: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """(group, zone) -> replicas of each KWOK node group (its Command's stdin spec)."""
    return {(group, str(zone)): int(replicas) for group, spec in node_group_specs(plan).items()
            for zone, replicas in spec["zones"]}


def node_group_specs(plan: Mapping[str, Any]) -> dict[str, dict]:
    """group -> its spec (labels, taints, capacity, ... and zones) from its Command's stdin."""
    specs = {}
    for r in plan.get("resources", []):
        stdin = (r.get("inputs") or {}).get("stdin") if r["type"].startswith("command:") else None
        try:
            spec = json.loads(stdin) if isinstance(stdin, str) else None
        except ValueError:
            continue
        if isinstance(spec, dict) and "group" in spec and isinstance(spec.get("zones"), list):
            specs[str(spec["group"])] = spec
    return specs


def taint_text(t: Mapping[str, Any]) -> str:
    """`key=value:Effect`, as kubectl taint writes it."""
    return f"{t.get('key')}{'=' + str(t['value']) if t.get('value') else ''}:{t.get('effect')}"


def node_group_edits(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changes on the nodes of each KWOK node group besides its size, in words:
    `a2-ultragpu-8g: label team=ml added (1500 nodes)`."""
    before, after = node_group_specs(old), node_group_specs(new)
    out = []
    for group in sorted(set(before) & set(after)):
        a, b = before[group], after[group]
        nodes = sum(int(n) for _, n in b.get("zones") or [])
        words = []
        for what in ("labels", "annotations"):
            la, lb = a.get(what) or {}, b.get(what) or {}
            one = what[:-1]
            words += [f"{one} {k}={lb[k]} added" for k in sorted(set(lb) - set(la))]
            words += [f"{one} {k} removed" for k in sorted(set(la) - set(lb))]
            words += [f"{one} {k} {la[k]} -> {lb[k]}" for k in sorted(set(la) & set(lb)) if la[k] != lb[k]]
        ta, tb = {taint_text(t) for t in a.get("taints") or []}, {taint_text(t) for t in b.get("taints") or []}
        words += [f"taint {t} added" for t in sorted(tb - ta)] + [f"taint {t} removed" for t in sorted(ta - tb)]
        for key in sorted((set(a) | set(b)) - {"labels", "annotations", "taints", "zones", "group"}):
            if a.get(key) != b.get(key):
                old_v, new_v = shown(key, a.get(key, ABSENT), b.get(key, ABSENT))
                words.append(f"{key} {old_v} -> {new_v}" if "(object)" not in (old_v, new_v) else f"{key} changed")
        if words:
            out.append(f"{group}: {', '.join(words)} ({nodes} nodes patched)")
    return out


def size_changes(old: Mapping[tuple[str, str], int], new: Mapping[tuple[str, str], int]) -> list[ReplicaChange]:
    return [ReplicaChange(g, z, old.get((g, z)), new.get((g, z)))
            for g, z in sorted(set(old) | set(new)) if old.get((g, z)) != new.get((g, z))]


def host_groups(inventory: Mapping[str, Any] | None) -> dict[tuple[str, str], int]:
    """(inventory group, '') -> host count, from a render's inventory.yaml."""
    counts: dict[tuple[str, str], int] = {}

    def visit(name: str, group: Any) -> None:
        if not isinstance(group, Mapping):
            return
        if isinstance(group.get("hosts"), Mapping):
            counts[(name, "")] = len(group["hosts"])
        for child, sub in (group.get("children") or {}).items():
            visit(child, sub)
    for name, group in (inventory or {}).items():
        visit(name, group)
    return counts


def secret_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(config key, what happened) for secrets set, changed or unset; renders from before
    the plan carried secret fingerprints compare as unknown, so nothing is claimed."""
    if "secrets" not in old or "secrets" not in new:
        return []
    a, b = old["secrets"], new["secrets"]
    out = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key, "unset"), b.get(key, "unset")
        if before != after:
            what = "set" if before == "unset" else "removed" if after == "unset" else "changed"
            out.append((key, what))
    return out
