"""node_config_changes: what `kubectl label`/`taint` must do to bring a Node to its config.

clusterforge records on each Node (annotation `clusterforge.io/managed`) the label keys and
taints it set, so a label or taint the config dropped is removed and nothing anyone else set
(the kubelet, kubeadm's control-plane taint, an operator) is ever touched.
"""
from __future__ import annotations

import json

ANNOTATION = "clusterforge.io/managed"


def _taint_id(taint):
    return f"{taint['key']}:{taint['effect']}"


def _taint_arg(taint):
    value = taint.get("value") or ""
    return f"{taint['key']}={value}:{taint['effect']}" if value else _taint_id(taint)


def node_config_changes(node, wanted):
    """node: the Node object (dict); wanted: {"labels": {...}, "taints": [...]}. Returns the
    label and taint arguments (empty when nothing differs) and the annotation to record."""
    metadata = node.get("metadata") or {}
    labels = metadata.get("labels") or {}
    taints = {_taint_id(t): t for t in (node.get("spec") or {}).get("taints") or []}
    managed = json.loads((metadata.get("annotations") or {}).get(ANNOTATION) or "{}")
    want_labels = wanted.get("labels") or {}
    want_taints = {_taint_id(t): t for t in wanted.get("taints") or []}
    label_args = [f"{k}={v}" for k, v in sorted(want_labels.items()) if labels.get(k) != v]
    label_args += [f"{k}-" for k in sorted(managed.get("labels") or []) if k not in want_labels and k in labels]
    taint_args = [_taint_arg(t) for i, t in sorted(want_taints.items())
                  if (taints.get(i) or {}).get("value", "") != (t.get("value") or "") or i not in taints]
    taint_args += [f"{i}-" for i in sorted(managed.get("taints") or []) if i not in want_taints and i in taints]
    record = json.dumps({"labels": sorted(want_labels), "taints": sorted(want_taints)}, sort_keys=True)
    return {"labels": label_args, "taints": taint_args,
            "annotation": None if metadata.get("annotations", {}).get(ANNOTATION) == record else record}


class FilterModule:
    def filters(self):
        return {"node_config_changes": node_config_changes}
