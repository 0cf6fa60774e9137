"""What a change does to the hosts, per provisioning command, in words (pure).

A provisioning command is a pulumi-command `Command` running `scripts/run-phase PHASE`
with its inventory on stdin (components/provisioning). The engine calls a changed one
"replace" when its triggers change, which only means its playbook runs again; when only
stdin or the environment change it is an update whose `update` records the new inputs
and contacts no host (the kubeconfig command, which has no `update`, runs again). So the
diff reads both inventories and says per command what changes (a version, a label, a
SAN), where it runs (which hosts, through which control plane), or that it only records
new inputs.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clusterforge.diff_details import ABSENT, SENSITIVE, field_paths, shown, taint_text, value_at

COMMAND_TYPE = "command:local:Command"
_PHASE = re.compile(r"run-phase (\S+)")

# kubeadm init document fields a running cluster keeps (components/plan/fixed_fields.py): the
# config key a deployed stack refuses to change.
FIXED_AT_INIT = {"ClusterConfiguration networking.serviceSubnet": "kubernetes.serviceCidr",
                 "ClusterConfiguration networking.podSubnet": "kubernetes.podCidr",
                 "ClusterConfiguration networking.dnsDomain": "kubernetes.clusterDomain",
                 "ClusterConfiguration controlPlaneEndpoint": "the control-plane endpoint",
                 "ClusterConfiguration imageRepository": "provisioning.airGapped.imageRepository"}

# What each kind of outcome reads as.
NEW, RUNS, RECORDS, REMOVED = "new", "runs", "records", "removed"


@dataclass
class CommandChange:
    name: str                 # the command as the comment names it: `upgrade`, `join-worker-4`
    phase: str
    outcome: str              # NEW, RUNS, RECORDS or REMOVED
    what: list[str] = field(default_factory=list)  # plain words, one change each
    where: str = ""           # `6 hosts`, `1 host via cp-1`; empty when no host is contacted

    @property
    def contacts_hosts(self) -> bool:
        return self.outcome in (NEW, RUNS) and bool(self.where)

    def line(self) -> str:
        """`upgrade: v1.36.2 -> v1.36.3, ... (6 hosts)`, `join-worker-4: new host`."""
        if self.outcome == NEW:
            return f"{self.name}: new host" + (f" ({self.where})" if self.where else "")
        if self.outcome == REMOVED:
            return f"{self.name}: removed" + (f"; {'; '.join(self.what)}" if self.what else "")
        words = "; ".join(self.what) or "inputs changed"
        if self.outcome == RECORDS:
            return f"{self.name}: {words} (records the new inputs only: no host contacted)"
        return f"{self.name}: {words}" + (f" ({self.where})" if self.where else "")


def phase_of(entry: Mapping[str, Any]) -> str | None:
    """The playbook a provisioning command runs, None for any other resource."""
    if entry.get("type") != COMMAND_TYPE:
        return None
    inputs = entry.get("inputs") or {}
    for key in ("create", "delete"):
        found = _PHASE.search(str(inputs.get(key) or ""))
        if found:
            return found.group(1)
    return None


def _inventory(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    stdin = ((entry or {}).get("inputs") or {}).get("stdin")
    try:
        doc = json.loads(stdin) if isinstance(stdin, str) else {}
    except ValueError:
        return {}
    return (doc.get("inventory") if isinstance(doc, dict) else None) or {}


def _vars(inventory: Mapping[str, Any]) -> dict[str, Any]:
    return dict((inventory.get("all") or {}).get("vars") or {})


def _groups(inventory: Mapping[str, Any]) -> dict[str, list[str]]:
    """Inventory group -> its hosts (k8s_cluster's children and the top-level groups)."""
    out: dict[str, list[str]] = {}

    def visit(name: str, group: Any) -> None:
        if not isinstance(group, Mapping):
            return
        if isinstance(group.get("hosts"), Mapping):
            out[name] = sorted(group["hosts"])
        for child, sub in (group.get("children") or {}).items():
            visit(child, sub)
    for name, group in ((inventory.get("all") or {}).get("children") or {}).items():
        visit(name, group)
    return out


def _cluster_hosts(inventory: Mapping[str, Any]) -> list[str]:
    groups = _groups(inventory)
    return sorted({h for g in ("control_plane", "workers") for h in groups.get(g, [])})


def _hosts(n: int) -> str:
    return f"{n} host{'s' * (n != 1)}"


def _shown(path: str, old: Any, new: Any) -> tuple[str, str]:
    """Both sides as `shown` gives them (nothing secret, short values only), strings unquoted."""
    return tuple(v[1:-1] if len(v) > 1 and v[0] == v[-1] == '"' else v for v in shown(path, old, new))


def _changed_vars(old: Mapping[str, Any], new: Mapping[str, Any], skip=()) -> list[str]:
    """`name old -> new` for each top-level variable that differs (values shown only when short and not secret)."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if key in skip or a == b:
            continue
        if _scalars(a) and _scalars(b) and not SENSITIVE.search(key):
            gone, new_items = [x for x in a if x not in b], [x for x in b if x not in a]
            out.append(f"{key}: " + ", ".join([*(f"+{x}" for x in new_items), *(f"-{x}" for x in gone)]))
            continue
        before, after = _shown(key, a, b)
        out.append(f"{key} {before} -> {after}" if (before, after) != ("(object)", "(object)") else f"{key} changed")
    return out


def _scalars(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, (str, int, float)) for x in value)


def _host_changes(old_inv: Mapping[str, Any], new_inv: Mapping[str, Any]) -> list[str]:
    """`hosts: +worker-4` when the command's inventory gains or loses hosts."""
    a, b = _cluster_hosts(old_inv), _cluster_hosts(new_inv)
    if not old_inv or a == b:
        return []
    return ["hosts: " + ", ".join([*(f"+{h}" for h in b if h not in a), *(f"-{h}" for h in a if h not in b)])]


def _labels_taints(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(changes in words, hosts whose Node changes) from node-config's `node_config`."""
    words, hosts = [], []
    for host in sorted(set(old) | set(new)):
        a, b = old.get(host), new.get(host)
        if a == b:
            continue
        if a is None:
            words.append(f"{host} new node")
            hosts.append(host)
            continue
        if b is None:
            words.append(f"{host} left alone (remove-node takes it out)")
            continue
        la, lb = a.get("labels") or {}, b.get("labels") or {}
        for key in sorted(set(la) | set(lb)):
            if key not in la:
                words.append(f"{host} label {key}={lb[key]} added")
            elif key not in lb:
                words.append(f"{host} label {key} removed")
            elif la[key] != lb[key]:
                words.append(f"{host} label {key} {la[key]} -> {lb[key]}")
        ta = {json.dumps(t, sort_keys=True): t for t in a.get("taints") or []}
        tb = {json.dumps(t, sort_keys=True): t for t in b.get("taints") or []}
        words += [f"{host} taint {taint_text(tb[k])} added" for k in sorted(set(tb) - set(ta))]
        words += [f"{host} taint {taint_text(ta[k])} removed" for k in sorted(set(ta) - set(tb))]
        hosts.append(host)
    return words, hosts


def _document_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Field-level changes inside the kubeadm documents (`kubernetesVersion v1.36.2 -> v1.36.3`)."""
    a, b = old.get("kubeadm_documents") or {}, new.get("kubeadm_documents") or {}
    out = []
    for host in sorted(set(a) | set(b)):
        docs_a = {d.get("kind"): d for d in a.get(host) or []}
        docs_b = {d.get("kind"): d for d in b.get(host) or []}
        for kind in sorted(set(docs_a) | set(docs_b)):
            for path in field_paths(docs_a.get(kind), docs_b.get(kind)):
                before, after = _shown(path, _at(docs_a.get(kind), path), _at(docs_b.get(kind), path))
                out.append(f"{kind} {path} {before} -> {after}" if "(object)" not in (before, after)
                           else f"{kind} {path} changed")
    return out


def _at(doc: Any, path: str) -> Any:
    return ABSENT if doc is None else value_at(doc, path)


def _describe(phase: str, old_inv: Mapping[str, Any], new_inv: Mapping[str, Any]) -> tuple[list[str], str]:
    """(what changes, where it runs) for a command that runs its playbook."""
    old, new = _vars(old_inv), _vars(new_inv)
    hosts = _cluster_hosts(new_inv)
    via = (_groups(new_inv).get("control_plane") or [""])[0]  # the first control plane runs kubectl
    if phase == "upgrade":
        words = []
        if old.get("kubernetes_version") != new.get("kubernetes_version"):
            batch = new.get("provisioning_upgrade_batch_size") or 1
            words.append(f"v{old.get('kubernetes_version')} -> v{new.get('kubernetes_version')}, control planes "
                         f"one by one then workers in batches of {batch}, each drained")
        words += _changed_vars(old, new, skip=("kubernetes_version", "kubernetes_minor"))
        return words + _host_changes(old_inv, new_inv), _hosts(len(hosts))
    if phase == "node-config":
        words, changed = _labels_taints(old.get("node_config") or {}, new.get("node_config") or {})
        where = f"{_hosts(len(changed))} via {via}" if changed else f"kubectl on {via}"
        return words + _changed_vars(old, new, skip=("node_config",)), where
    if phase == "cert-sans" and old.get("cert_sans") != new.get("cert_sans"):
        a, b = set(old.get("cert_sans") or []), set(new.get("cert_sans") or [])
        words = [f"SAN {s} added" for s in sorted(b - a)] + [f"SAN {s} removed" for s in sorted(a - b)]
        words = [*words, *_changed_vars(old, new, skip=("cert_sans", "kubeadm_documents"))]
        return ["re-issues the API server certificate one control plane at a time: " + ", ".join(words)], \
            _hosts(len(hosts))
    if phase == "remove-node":
        retiring = _groups(new_inv).get("retiring", [])
        return ([f"drains {', '.join(retiring)}, deletes its Node (and etcd member) and resets it"] if retiring else
                ["nothing listed in hosts.retire: contacts no host"]), (f"{_hosts(len(retiring))} via {via}"
                                                                        if retiring else "")
    if phase == "control-plane":
        documents = _document_changes(old, new)
        kube_vip = ("kube_vip_manifest", "kube_vip_manifest_bootstrap")
        words = [f"kubeadm init documents: {', '.join(documents)}"] if documents else []
        fixed = sorted({key for change in documents for prefix, key in FIXED_AT_INIT.items()
                        if change.startswith(prefix)})
        if fixed:
            words.append(f"fixed at creation: a deployed stack refuses this change of {', '.join(fixed)}")
        if any(old.get(k) != new.get(k) for k in kube_vip):
            words.append(f"kube-vip's static pod rewritten on {via}")
        words += _changed_vars(old, new, skip=("kubeadm_documents", *kube_vip))
        words.append("a running cluster skips init (upgrade, cert-sans and node-config apply their parts; "
                     "fields fixed at creation are refused)")
        return words, f"1 host: {via}"
    words = _document_changes(old, new) + _changed_vars(old, new, skip=("kubeadm_documents",))
    words += _host_changes(old_inv, new_inv)
    for host in hosts:
        words += [f"{host}: {w}" for w in _changed_vars(_host_vars(old_inv, host), _host_vars(new_inv, host))]
    if phase == "prepare" and any(w.startswith("kubernetes_version") for w in words):
        words.append("a joined node keeps its kube packages (upgrade moves them)")
    where = ", ".join(hosts) if len(hosts) <= 3 else _hosts(len(hosts))
    return words, (f"{_hosts(len(hosts))}: {where}" if len(hosts) <= 3 else where)


def _host_vars(inventory: Mapping[str, Any], host: str) -> dict[str, Any]:
    for group in _groups_raw(inventory):
        if host in group:
            return {k: v for k, v in (group[host] or {}).items() if not k.startswith("ansible_")}
    return {}


def _groups_raw(inventory: Mapping[str, Any]):
    stack = [inventory.get("all") or {}]
    while stack:
        group = stack.pop()
        if isinstance(group, Mapping):
            if isinstance(group.get("hosts"), Mapping):
                yield group["hosts"]
            stack.extend((group.get("children") or {}).values())


def display_name(entry: Mapping[str, Any], cluster: str) -> str:
    """Cluster-wide commands by their phase (`upgrade`), per-host ones by name (`join-worker-4`)."""
    name = str(entry.get("name", ""))
    return name[len(cluster) + 1:] if cluster and name.startswith(f"{cluster}-") else name


def command_change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, action: str,
                   cluster: str) -> CommandChange | None:
    """One provisioning command's change in words, None for a resource that is no such command.

    `action` is the engine's: add, remove, replace (triggers changed), update or rewire."""
    ref = new if new is not None else old
    phase = phase_of(ref or {})
    if phase is None or action == "rewire":
        return None
    name = display_name(ref, cluster)
    inputs = (ref or {}).get("inputs") or {}
    if phase == "reset":  # runs only on destroy
        what = ["records the inventory `pulumi destroy` resets"]
        return CommandChange(name, phase, REMOVED if action == "remove" else RECORDS, what)
    if action == "add":
        hosts = _cluster_hosts(_inventory(new))
        if phase in PER_HOST:
            first = (_groups(_inventory(new)).get("control_plane") or [""])[0]
            return CommandChange(name, phase, NEW, [], f"via {first}" if phase == "join" else "")
        what, where = _describe(phase, {}, _inventory(new))
        return CommandChange(name, phase, RUNS, what or ["first run"], where or _hosts(len(hosts)))
    if action == "remove":
        return CommandChange(name, phase, REMOVED, [])
    old_inv, new_inv = _inventory(old), _inventory(new)
    runs = action == "replace" or not inputs.get("update")  # no update: the provider runs create again
    what, where = _describe(phase, old_inv, new_inv)
    if not runs:
        if phase == "join":
            what = [w for w in what if not w.startswith("JoinConfiguration nodeRegistration")] or \
                ["a label or taint in its kubeadm documents (node-config applies those to a joined node)"]
        if not what and (old or {}).get("inputs", {}).get("environment") != inputs.get("environment"):
            what = ["the SSH key (its environment) changed"]
        return CommandChange(name, phase, RECORDS, what or ["an input no trigger names"])
    return CommandChange(name, phase, RUNS, what, where)


PER_HOST = ("prepare", "join")
ORDER = ("prepare", "authentication", "control-plane", "upgrade", "cert-sans", "join", "node-config",
         "remove-node", "kubeconfig", "reset")


def grouped(changes: list[CommandChange]) -> list[CommandChange]:
    """One row per phase and outcome for per-host commands saying the same thing
    (`prepare (cp-1, cp-2, ...)`), in the order the graph runs them: what contacts hosts
    first, then what only records inputs."""
    rows: dict[tuple, CommandChange] = {}
    hosts: dict[tuple, list[str]] = {}
    for c in changes:
        key = (c.phase, c.outcome, tuple(c.what)) if c.phase in PER_HOST else (c.name,)
        rows.setdefault(key, c)
        hosts.setdefault(key, []).append(c.name.split("-", 1)[1] if c.phase in PER_HOST else c.name)
    out = []
    for key, c in rows.items():
        if c.phase in PER_HOST and len(hosts[key]) > 1:
            names = sorted(hosts[key])
            where = (f"{_hosts(len(names))}, one command each" if c.phase == "prepare"
                     else f"{_hosts(len(names))} {c.where}".strip())
            c = CommandChange(f"{c.phase} ({', '.join(names)})", c.phase, c.outcome, c.what, where)
        out.append(c)
    rank = {NEW: 0, RUNS: 0, RECORDS: 1, REMOVED: 2}
    return sorted(out, key=lambda c: (rank[c.outcome], ORDER.index(c.phase) if c.phase in ORDER else 99, c.name))
