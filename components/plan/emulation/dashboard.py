"""A Grafana dashboard of emulated GPU capacity, as a ConfigMap Grafana's sidecar loads.

Same views as `clusterforge experiment`: allocated vs available GPUs by zone and by
instance type, and pending pods. The queries read kube-state-metrics, which must export
the zone and instance-type node labels (kube-prometheus-stack value
`kube-state-metrics.metricLabelsAllowlist`, see `KSM_NODE_LABELS`).
"""
from __future__ import annotations

import json

# kube-state-metrics turns node labels into `label_<sanitised name>` on kube_node_labels.
ZONE = "label_topology_kubernetes_io_zone"
INSTANCE_TYPE = "label_node_kubernetes_io_instance_type"
KSM_NODE_LABELS = "nodes=[topology.kubernetes.io/zone,node.kubernetes.io/instance-type,datastrophic.io/gpu-type]"
GPU = 'resource="nvidia_com_gpu"'
DASHBOARD_LABEL = ("grafana_dashboard", "1")
UID = "clusterforge-emulated-gpus"


def _available(by: str) -> str:
    return (f"sum by ({by}) (kube_node_status_allocatable{{{GPU}}} "
            f"* on (node) group_left ({by}) kube_node_labels)")


def _allocated(by: str) -> str:
    # Requests of pods bound to a node and not finished, attributed to the node's labels.
    running = 'max by (namespace, pod) (kube_pod_status_phase{phase=~"Running|Pending"})'
    return (f"sum by ({by}) ((kube_pod_container_resource_requests{{{GPU}}} "
            f"* on (namespace, pod) group_left () {running}) "
            f"* on (node) group_left ({by}) kube_node_labels)")


def _panel(pid: int, title: str, kind: str, targets: list[tuple[str, str]], x: int, y: int,
           w: int = 12, h: int = 8) -> dict:
    return {
        "id": pid, "title": title, "type": kind,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": "none"}, "overrides": []},
        "options": {},
    }


def dashboard() -> dict:
    zone, itype = f"{{{{{ZONE}}}}}", f"{{{{{INSTANCE_TYPE}}}}}"
    panels = [
        _panel(1, "GPUs allocated / available", "stat",
               [(f'sum(kube_pod_container_resource_requests{{{GPU}}} * on (namespace, pod) group_left () '
                 'max by (namespace, pod) (kube_pod_status_phase{phase="Running"}))', "allocated"),
                (f"sum(kube_node_status_allocatable{{{GPU}}})", "available")], 0, 0, 8, 5),
        _panel(2, "Pods pending", "stat",
               [('sum(kube_pod_status_phase{phase="Pending"})', "pending"),
                ("sum(kube_pod_status_unschedulable)", "unschedulable")], 8, 0, 8, 5),
        _panel(3, "Emulated nodes", "stat",
               [('count(kube_node_labels{label_type="kwok"})', "KWOK nodes")], 16, 0, 8, 5),
        _panel(4, "GPUs by zone", "timeseries",
               [(_allocated(ZONE), f"allocated {zone}"), (_available(ZONE), f"available {zone}")], 0, 5),
        _panel(5, "GPUs by instance type", "timeseries",
               [(_allocated(INSTANCE_TYPE), f"allocated {itype}"),
                (_available(INSTANCE_TYPE), f"available {itype}")], 12, 5),
        _panel(6, "GPU allocation by zone and instance type", "table",
               [(_allocated(f"{ZONE}, {INSTANCE_TYPE}"), "allocated"),
                (_available(f"{ZONE}, {INSTANCE_TYPE}"), "available")], 0, 13, 24, 8),
    ]
    for panel in panels[5:]:
        for target in panel["targets"]:
            target.update({"format": "table", "instant": True})
    return {
        "uid": UID, "title": "Emulated GPU capacity (KWOK)", "schemaVersion": 39, "version": 1,
        "editable": True, "time": {"from": "now-1h", "to": "now"}, "refresh": "30s",
        "tags": ["clusterforge", "kwok", "gpu"],
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Data source"}]},
        "panels": panels,
    }


def dashboard_configmap(namespace: str) -> dict:
    """The ConfigMap Grafana's dashboard sidecar (kube-prometheus-stack) picks up by label."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "clusterforge-emulated-gpus-dashboard", "namespace": namespace,
                     "labels": {DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1],
                                "app.kubernetes.io/managed-by": "clusterforge"}},
        "data": {"emulated-gpus.json": json.dumps(dashboard(), indent=1, sort_keys=True)},
    }
