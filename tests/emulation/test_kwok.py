"""KWOK controller objects and Stages: content, and validity against the real schemas."""
from __future__ import annotations

import yaml

from clusterforge.validate import CrdSchemas, validate_object
from components.config.emulation import KwokConfig
from components.plan.emulation import kwok, stages

from .helpers import KUBERNETES_VERSION


def test_stages_validate_against_the_upstream_stage_crd(crd_dir, tmp_path):
    # Only the Stage CRD (a link, not a copy): loading every upstream CRD takes seconds.
    (tmp_path / kwok.STAGE_CRD_FILE).symlink_to(crd_dir / kwok.STAGE_CRD_FILE)
    crds = CrdSchemas(tmp_path)
    for mode in ("fast", "delay"):
        for stage in stages.all_stages(mode):
            assert validate_object(stage, KUBERNETES_VERSION, crds) == [], stage["metadata"]["name"]
    broken = stages.pod_stages("delay")[0]
    broken["spec"]["delay"]["durationMilliseconds"] = "soon"
    assert validate_object(broken, KUBERNETES_VERSION, crds) != []  # the schema really applies


def test_stage_set_covers_node_and_pod_lifecycles():
    assert [s["metadata"]["name"] for s in stages.all_stages("fast")] == [
        "node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete"]
    for stage in stages.all_stages("fast"):
        next_ = stage["spec"]["next"]
        assert next_.get("delete") is True or next_["statusTemplate"].strip()


def test_fast_pod_stages_have_no_delay_and_delay_stages_read_the_annotations():
    fast = {s["metadata"]["name"]: s["spec"] for s in stages.pod_stages("fast")}
    delay = {s["metadata"]["name"]: s["spec"] for s in stages.pod_stages("delay")}
    assert all("delay" not in spec for spec in fast.values())
    for name in ("ready", "complete", "delete"):
        expression = delay[f"pod-{name}"]["delay"]["durationFrom"]["expressionFrom"]
        assert expression == f'.metadata.annotations["pod-{name}.stage.kwok.x-k8s.io/delay"]'
    # Only Job pods complete; long-running pods stay Running.
    complete = delay["pod-complete"]["selector"]["matchExpressions"]
    assert {"key": ".metadata.ownerReferences.[].kind", "operator": "In", "values": ["Job"]} in complete


def test_node_stages_keep_extra_conditions_and_generated_capacity():
    init = stages.node_stages()[0]["spec"]["next"]["statusTemplate"]
    assert "range .status.conditions" in init and 'ne .type "Ready"' in init
    assert "with .status.capacity" in init and "with .status.allocatable" in init


def test_auto_mode_follows_the_workloads(tmp_path):
    (tmp_path / "delayed.yaml").write_text('annotations:\n  pod-complete.stage.kwok.x-k8s.io/delay: "10m"\n')
    (tmp_path / "plain.yaml").write_text("kind: Job\n")
    assert stages.pod_stage_mode("auto", ["plain.yaml"], tmp_path) == "fast"
    assert stages.pod_stage_mode("auto", ["plain.yaml", "delayed.yaml"], tmp_path) == "delay"
    assert stages.pod_stage_mode("fast", ["delayed.yaml"], tmp_path) == "fast"


def test_controller_manages_only_fake_nodes_with_a_pinned_image():
    objects = kwok.controller_objects(KwokConfig())
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/kwok/kwok:v0.8.0"
    assert "--manage-all-nodes=false" in container["args"]
    assert "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake" in container["args"]
    config = yaml.safe_load(next(o for o in objects if o["kind"] == "ConfigMap")["data"]["kwok.yaml"])
    assert config["options"]["manageAllNodes"] is False
    assert config["options"]["manageNodesWithAnnotationSelector"] == "kwok.x-k8s.io/node=fake"
    assert config["options"]["enableCRDs"] == ["Stage"]


def test_controller_objects_are_valid_kubernetes_objects():
    for obj in kwok.controller_objects(KwokConfig(version="v0.7.0", namespace="kwok")):
        assert validate_object(obj, KUBERNETES_VERSION, None) == [], obj["kind"]


def test_stage_crd_url_is_pinned_to_the_release():
    assert kwok.stage_crd_url("v0.8.0").startswith("https://raw.githubusercontent.com/kubernetes-sigs/kwok/v0.8.0/")


def test_grafana_dashboard_configmap_is_valid_and_labelled():
    import json

    from components.plan.emulation.dashboard import KSM_NODE_LABELS, dashboard_configmap

    cm = dashboard_configmap("monitoring")
    assert validate_object(cm, KUBERNETES_VERSION, None) == []
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(cm["data"]["emulated-gpus.json"])
    titles = [p["title"] for p in board["panels"]]
    assert {"GPUs by zone", "GPUs by instance type", "Pods pending"} <= set(titles)
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    assert "label_topology_kubernetes_io_zone" in exprs and "label_node_kubernetes_io_instance_type" in exprs
    assert "topology.kubernetes.io/zone" in KSM_NODE_LABELS


def test_stage_templates_have_balanced_go_template_blocks():
    import re

    for stage in stages.all_stages("delay"):
        template = stage["spec"]["next"].get("statusTemplate", "")
        actions = re.findall(r"{{-?\s*(\w+)", template)
        opened = sum(a in ("if", "range", "with") for a in actions)
        assert opened == actions.count("end"), stage["metadata"]["name"]
        assert template.count("{{") == template.count("}}")


def test_annotated_delays_have_no_fixed_jitter():
    # KWOK returns the jitter when it is not longer than the delay: a fixed 0 ms jitter
    # made every annotated delay 0 (found on the real control plane in tests/e2e).
    annotated = [s for s in stages.pod_stages("delay") if "durationFrom" in s["spec"].get("delay", {})]
    assert {s["metadata"]["name"] for s in annotated} == {"pod-ready", "pod-complete", "pod-delete"}
    for stage in annotated:
        assert "jitterDurationMilliseconds" not in stage["spec"]["delay"], stage["metadata"]["name"]
