"""The Kubeflow Spark operator, and the account each tenant's Spark drivers run as.

The operator watches the namespaces that carry the tenant label (`spark.jobNamespaceSelector`,
chart 2.5+), found as they come, so its release names no tenant and waits for none: adding
a tenant changes nothing of the operator's. The driver's account and Role are ours, one
set per tenant in the tenant's namespace and named alike in every one, so adding a tenant
adds only its own; the chart's (`spark.serviceAccount`, `spark.rbac`) stay off.
"""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://kubeflow.github.io/spark-operator"
RELEASE = "spark-operator"
DRIVER_ROLE = "spark-driver"
RBAC = "rbac.authorization.k8s.io/v1"
# What a driver does in its namespace: start and watch executors, their Service, ConfigMaps, claims.
DRIVER_RULES = [{"apiGroups": [""], "resources": ["pods", "services", "configmaps", "persistentvolumeclaims"],
                 "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]}]


def tenant_objects(cfg, tenant: str) -> tuple[dict, ...]:
    """The driver account of one tenant, with its Role and RoleBinding (none with Spark off)."""
    spark = cfg.addons.spark_operator
    if not spark.enabled:
        return ()
    from components.plan.tenants import TENANT_LABEL

    labels = {TENANT_LABEL: tenant, "app.kubernetes.io/part-of": "spark"}
    account = spark.service_account
    return (
        obj("v1", "ServiceAccount", account, tenant, labels=labels),
        obj(RBAC, "Role", DRIVER_ROLE, tenant, labels=labels, rules=DRIVER_RULES),
        obj(RBAC, "RoleBinding", DRIVER_ROLE, tenant, labels=labels,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": DRIVER_ROLE},
            subjects=[{"kind": "ServiceAccount", "name": account, "namespace": tenant}]),
    )


def spark_operator(cfg) -> AddonSpec:
    spark = cfg.addons.spark_operator
    from components.plan.tenants import TENANT_LABEL

    # No namespace list (the chart's default is `default`): the tenant label selects them.
    values = {"spark": {"jobNamespaces": [], "jobNamespaceSelector": TENANT_LABEL,
                        "serviceAccount": {"create": False, "name": spark.service_account},
                        "rbac": {"create": False}}}
    return AddonSpec(key="sparkOperator", release=RELEASE, namespace=spark.namespace, chart="spark-operator",
                     repository=REPOSITORY, version=spark.version, values=merge_values(values, spark.values))
