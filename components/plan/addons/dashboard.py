"""Headlamp with a read-only account (the Kubernetes Dashboard project is archived).

The viewer's ClusterRole aggregates every role labelled `aggregate-to-view` (namespaced
reads, which Kubernetes keeps free of Secrets and RBAC objects) plus one labelled role of
cluster-scoped reads. Only get/list/watch; no long-lived token Secret: users sign in with
`kubectl create token <viewer> -n <namespace> --duration=1h`.
"""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://kubernetes-sigs.github.io/headlamp/"
AGGREGATE_LABEL = "clusterforge.io/aggregate-to-read-only"
READ = ["get", "list", "watch"]
CLUSTER_READS = [
    {"apiGroups": [""], "resources": ["nodes", "namespaces", "persistentvolumes"], "verbs": READ},
    {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": READ},
]


def dashboard(cfg) -> AddonSpec:
    d = cfg.addons.dashboard
    sa = d.viewer_account
    # The chart would bind cluster-admin to its own account; it gets no binding at all.
    values = {"clusterRoleBinding": {"create": False}, "serviceAccount": {"create": True}}
    objects = (
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterforge-read-only-cluster",
            labels={AGGREGATE_LABEL: "true"}, rules=CLUSTER_READS),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterforge-read-only",
            aggregationRule={"clusterRoleSelectors": [
                {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                {"matchLabels": {AGGREGATE_LABEL: "true"}},
            ]}, rules=[]),
        obj("v1", "ServiceAccount", sa, d.namespace, automountServiceAccountToken=False),
        obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"{sa}-read-only",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "clusterforge-read-only"},
            subjects=[{"kind": "ServiceAccount", "name": sa, "namespace": d.namespace}]),
    )
    return AddonSpec(key="dashboard", release="headlamp", namespace=d.namespace, chart="headlamp",
                     repository=REPOSITORY, version=d.version, values=merge_values(values, d.values),
                     objects=objects)
