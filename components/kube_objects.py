"""Plain Kubernetes objects (built by the pure modules) -> pulumi-kubernetes resources.

Built-in kinds use their typed resources, so the engine knows their schema and types;
anything else is a CustomResource. Nested mappings keep their Kubernetes (camelCase) keys.
"""
from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_kubernetes as k8s

_Maker = Callable[[str, dict, pulumi.ResourceOptions], pulumi.Resource]

_TYPED: dict[tuple[str, str], _Maker] = {
    ("v1", "ServiceAccount"): lambda n, o, opts: k8s.core.v1.ServiceAccount(
        n, metadata=o["metadata"], automount_service_account_token=o.get("automountServiceAccountToken"),
        opts=opts),
    ("v1", "ConfigMap"): lambda n, o, opts: k8s.core.v1.ConfigMap(
        n, metadata=o["metadata"], data=o["data"], opts=opts),
    ("v1", "Secret"): lambda n, o, opts: k8s.core.v1.Secret(
        n, metadata=o["metadata"], type=o.get("type"), string_data=o.get("stringData"), opts=opts),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): lambda n, o, opts: k8s.rbac.v1.ClusterRole(
        n, metadata=o["metadata"], rules=o.get("rules"), aggregation_rule=o.get("aggregationRule"), opts=opts),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): lambda n, o, opts: k8s.rbac.v1.ClusterRoleBinding(
        n, metadata=o["metadata"], role_ref=o["roleRef"], subjects=o["subjects"], opts=opts),
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"): lambda n, o, opts: k8s.flowcontrol.v1.FlowSchema(
        n, metadata=o["metadata"], spec=o["spec"], opts=opts),
    ("apps/v1", "Deployment"): lambda n, o, opts: k8s.apps.v1.Deployment(
        n, metadata=o["metadata"], spec=o["spec"], opts=opts),
    ("storage.k8s.io/v1", "StorageClass"): lambda n, o, opts: k8s.storage.v1.StorageClass(
        n, metadata=o["metadata"], provisioner=o["provisioner"], reclaim_policy=o.get("reclaimPolicy"),
        volume_binding_mode=o.get("volumeBindingMode"), parameters=o.get("parameters"), opts=opts),
}


def resource_name(obj: dict) -> str:
    meta = obj["metadata"]
    parts = [obj["kind"].lower(), meta.get("namespace", ""), meta["name"]]
    return "-".join(p for p in parts if p)


def declare(obj: dict, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """A pulumi-kubernetes resource for one object built by the pure modules."""
    make = _TYPED.get((obj["apiVersion"], obj["kind"]))
    if make is not None:
        return make(resource_name(obj), obj, opts)
    return k8s.apiextensions.CustomResource(
        resource_name(obj), api_version=obj["apiVersion"], kind=obj["kind"], metadata=obj["metadata"],
        spec=obj["spec"], opts=opts)
