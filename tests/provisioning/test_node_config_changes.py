"""node_config_changes (the node-config role's filter plugin), pure: applying what it returns
brings a Node to its config, keeps what others set, and a second pass changes nothing."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

PLUGIN = Path(__file__).resolve().parents[2] / "playbooks/roles/kubeadm_node_config/filter_plugins/node_config.py"
_spec = importlib.util.spec_from_file_location("node_config_plugin", PLUGIN)
plugin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plugin)

keys = st.sampled_from(["tier", "zone", "team", "example.com/pool", "gpu"])
values = st.sampled_from(["", "a", "b"])
effects = st.sampled_from(["NoSchedule", "NoExecute"])
taints = st.lists(st.builds(lambda k, v, e: {"key": k, "value": v, "effect": e}, keys, values, effects),
                  unique_by=lambda t: (t["key"], t["effect"]), max_size=3)
configs = st.fixed_dictionaries({"labels": st.dictionaries(keys, values, max_size=4), "taints": taints})


def apply(node, changes):
    """What kubectl label/taint/annotate --overwrite do with the arguments."""
    node = json.loads(json.dumps(node))
    labels, spec = node["metadata"]["labels"], node["spec"]
    for arg in changes["labels"]:
        if arg.endswith("-") and "=" not in arg:
            labels.pop(arg[:-1], None)
        else:
            k, v = arg.split("=", 1)
            labels[k] = v
    for arg in changes["taints"]:
        if arg.endswith("-"):
            k, e = arg[:-1].split(":")
            spec["taints"] = [t for t in spec["taints"] if (t["key"], t["effect"]) != (k, e)]
        else:
            body, e = arg.rsplit(":", 1)
            k, _, v = body.partition("=")
            spec["taints"] = [t for t in spec["taints"] if (t["key"], t["effect"]) != (k, e)]
            spec["taints"].append({"key": k, "effect": e, **({"value": v} if v else {})})
    if changes["annotation"]:
        node["metadata"]["annotations"][plugin.ANNOTATION] = changes["annotation"]
    return node


FOREIGN_LABEL = ("kubernetes.io/hostname", "n1")
FOREIGN_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


@given(configs, configs)
def test_two_config_changes_converge_keep_foreign_ones_and_are_idempotent(first, second):
    node = {"metadata": {"name": "n1", "labels": dict([FOREIGN_LABEL]), "annotations": {}},
            "spec": {"taints": [dict(FOREIGN_TAINT)]}}
    for wanted in (first, second):
        node = apply(node, plugin.node_config_changes(node, wanted))
        labels = node["metadata"]["labels"]
        assert {k: labels[k] for k in wanted["labels"]} == wanted["labels"]
        assert labels[FOREIGN_LABEL[0]] == FOREIGN_LABEL[1]
        managed = {(t["key"], t["effect"]) for t in wanted["taints"]}
        ours = {(t["key"], t["effect"], t.get("value", "")) for t in node["spec"]["taints"]
                if (t["key"], t["effect"]) in managed}
        assert ours == {(t["key"], t["effect"], t["value"]) for t in wanted["taints"]}
        assert FOREIGN_TAINT in node["spec"]["taints"]
        assert plugin.node_config_changes(node, wanted) == {"labels": [], "taints": [], "annotation": None}
    # what the first config set and the second dropped is gone
    dropped = set(first["labels"]) - set(second["labels"])
    assert not dropped & set(node["metadata"]["labels"])
