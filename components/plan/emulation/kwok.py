"""The KWOK controller: the objects of its pinned release, configured to manage only fake nodes.

Only the Stage API is enabled (the node and pod lifecycles are all this project
emulates), so RBAC grants stages and nothing of KWOK's other custom resources.
"""
from __future__ import annotations

import yaml

from components.config.emulation import KwokConfig
from components.plan.emulation.nodes import FAKE_KEY, FAKE_VALUE

NAME = "kwok-controller"
PORT = 10247
_LABELS = {"app": NAME, "app.kubernetes.io/name": "kwok", "app.kubernetes.io/managed-by": "clusterforge"}
STAGE_CRD_FILE = "stages.kwok.x-k8s.io.yaml"


def stage_crd_url(version: str) -> str:
    """The Stage CRD exactly as the pinned KWOK release tag publishes it."""
    return (f"https://raw.githubusercontent.com/kubernetes-sigs/kwok/{version}/"
            "kustomize/crd/bases/kwok.x-k8s.io_stages.yaml")


def controller_flags() -> list[str]:
    # Flags override the config file; spelled out so `kubectl describe` shows the scope.
    return [
        "--config=/etc/kwok/kwok.yaml",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={FAKE_KEY}={FAKE_VALUE}",
        "--node-ip=$(POD_IP)",
        f"--node-port={PORT}",
    ]


def kwok_configuration() -> dict:
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        "options": {
            "manageAllNodes": False,
            "manageNodesWithAnnotationSelector": f"{FAKE_KEY}={FAKE_VALUE}",
            "manageNodesWithLabelSelector": "",
            "manageSingleNode": "",
            "enableCRDs": ["Stage"],
            # Thousands of nodes: renew leases and play stages in parallel.
            "nodeLeaseDurationSeconds": 40,
            "nodeLeaseParallelism": 16,
            "nodePlayStageParallelism": 16,
            "podPlayStageParallelism": 16,
            "enablePodsOnNodeSyncStreamWatch": True,
            "nodePort": PORT,
        },
    }


def _meta(name: str, namespace: str | None = None) -> dict:
    meta: dict = {"name": name, "labels": dict(_LABELS)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def controller_objects(cfg: KwokConfig) -> list[dict]:
    """ServiceAccount, RBAC, flow schema, config and Deployment of the KWOK controller."""
    ns = cfg.namespace
    rules = [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["nodes/status", "pods/status"], "verbs": ["patch", "update"]},
        {"apiGroups": [""], "resources": ["pods"],
         "verbs": ["delete", "get", "list", "patch", "update", "watch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch", "update"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
         "verbs": ["create", "get", "list", "patch", "update", "watch"]},
        {"apiGroups": ["kwok.x-k8s.io"], "resources": ["stages"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["kwok.x-k8s.io"], "resources": ["stages/status"], "verbs": ["patch", "update"]},
    ]
    probe = {"httpGet": {"path": "/healthz", "port": PORT, "scheme": "HTTP"},
             "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3}
    container = {
        "name": NAME,
        "image": cfg.image_ref,
        "imagePullPolicy": "IfNotPresent",
        "args": controller_flags(),
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "startupProbe": {**probe, "failureThreshold": 30},
        "livenessProbe": {**probe, "periodSeconds": 60, "timeoutSeconds": 10, "failureThreshold": 10},
        "readinessProbe": {**probe, "periodSeconds": 20},
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "2Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/kwok", "readOnly": True}],
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME, ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta(NAME),
         "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": _meta(NAME),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]},
        # Exempt from API priority and fairness: status updates of thousands of nodes must
        # not queue behind (or starve) real workloads.
        {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": _meta(NAME),
         "spec": {"priorityLevelConfiguration": {"name": "exempt"}, "matchingPrecedence": 1000,
                  "rules": [{"subjects": [{"kind": "ServiceAccount",
                                           "serviceAccount": {"name": NAME, "namespace": ns}}],
                             "resourceRules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"],
                                                "clusterScope": True, "namespaces": ["*"]}]}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("kwok", ns),
         "data": {"kwok.yaml": yaml.safe_dump(kwok_configuration(), sort_keys=True)}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(NAME, ns),
         "spec": {
             "replicas": 1,
             "selector": {"matchLabels": {"app": NAME}},
             "template": {
                 "metadata": {"labels": dict(_LABELS)},
                 "spec": {
                     "serviceAccountName": NAME,
                     "priorityClassName": "system-cluster-critical",
                     "containers": [container],
                     "volumes": [{"name": "config", "configMap": {"name": "kwok"}}],
                 },
             },
         }},
    ]
