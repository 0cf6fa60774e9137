"""What each tenant is made of, as plain Kubernetes objects (pure: no Pulumi).

Every object of a tenant is named from the tenant's name and lives in its namespace,
except its ClusterRoleBinding, so adding or removing one tenant touches no other. One
ClusterRole, shared by all, grants reads of nodes and pods cluster-wide (no Secrets,
no writes); everything else a tenant may do is its namespaced Role's, which cannot
reach outside the namespace. With SSO (sso.py) a tenant's groups are subjects of both
bindings too, and its people log in through Dex instead of holding the account's token.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from components.plan.addons.spec import obj
from components.plan.sso import exec_user, group_subjects, tenant_uses_sso

RBAC = "rbac.authorization.k8s.io/v1"
READ = ["get", "list", "watch"]
READ_ONLY_ROLE = "clusterforge-tenant-read-only"
ADMIN_ROLE = "tenant-admin"
TENANT_LABEL = "clusterforge.io/tenant"
GPU = "nvidia.com/gpu"
# The shared, read-only view of nodes and pods (pods/log, exec and Secrets are not in it).
CLUSTER_READS = [
    {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": READ},
]
# Everything, but only in the Role's own namespace.
NAMESPACE_ALL = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]


@dataclass(frozen=True)
class TenantPlan:
    name: str
    namespace: dict[str, Any]
    retain_namespace: bool
    sso: bool  # its kubeconfig logs in through Dex; no token Secret
    # Namespaced objects (and the tenant's ClusterRoleBinding), in creation order.
    objects: tuple[dict[str, Any], ...]


def shared_objects() -> tuple[dict[str, Any], ...]:
    return (obj(RBAC, "ClusterRole", READ_ONLY_ROLE, labels={"app.kubernetes.io/managed-by": "clusterforge"},
                rules=CLUSTER_READS),)


def account_subject(name: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": name}


def _quota(tenant) -> dict[str, str]:
    q = tenant.quota
    return {
        "requests.cpu": q.cpu, "limits.cpu": q.cpu,
        "requests.memory": q.memory, "limits.memory": q.memory,
        f"requests.{GPU}": str(q.gpus),
        "pods": str(q.pods),
        "persistentvolumeclaims": str(q.persistent_volume_claims),
        "requests.storage": q.storage,
    }


def _limit_range(tenant) -> list[dict[str, Any]]:
    lim = tenant.limits
    return [{"type": "Container",
             "default": {"cpu": lim.default_cpu_limit, "memory": lim.default_memory_limit},
             "defaultRequest": {"cpu": lim.default_cpu_request, "memory": lim.default_memory_request}}]


def tenant_plan(tenant, sso: bool = False) -> TenantPlan:
    """`sso`: the stack has SSO and the tenant lists groups (sso.tenant_uses_sso)."""
    name = tenant.name
    labels = {TENANT_LABEL: name}
    level = tenant.pod_security
    namespace = obj("v1", "Namespace", name, labels={
        **labels, "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level, "pod-security.kubernetes.io/warn": level})
    subjects = [account_subject(name), *(group_subjects(tenant.groups) if sso else [])]
    # Without SSO a token Secret for the kubeconfig: the token controller keeps it valid for
    # as long as the account lives.
    token = () if sso else (obj("v1", "Secret", f"{name}-token", name, labels=labels,
                                annotations={"kubernetes.io/service-account.name": name},
                                type="kubernetes.io/service-account-token"),)
    objects = (
        obj("v1", "ServiceAccount", name, name, labels=labels),
        *token,
        obj(RBAC, "Role", ADMIN_ROLE, name, labels=labels, rules=NAMESPACE_ALL),
        obj(RBAC, "RoleBinding", ADMIN_ROLE, name, labels=labels,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ADMIN_ROLE},
            subjects=subjects),
        obj(RBAC, "ClusterRoleBinding", f"clusterforge-tenant-{name}-read-only", labels=labels,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": READ_ONLY_ROLE},
            subjects=[dict(s) for s in subjects]),
        obj("v1", "ResourceQuota", "tenant-quota", name, labels=labels, spec={"hard": _quota(tenant)}),
        obj("v1", "LimitRange", "tenant-limits", name, labels=labels, spec={"limits": _limit_range(tenant)}),
    )
    return TenantPlan(name=name, namespace=namespace, retain_namespace=tenant.retain_namespace,
                      sso=sso, objects=objects)


def tenant_plans(cfg) -> list[TenantPlan]:
    return [tenant_plan(t, tenant_uses_sso(cfg, t)) for t in cfg.tenants]


def all_objects(cfg) -> list[dict[str, Any]]:
    """Every tenant object in creation order (the shared ClusterRole first)."""
    out = list(shared_objects()) if cfg.tenants else []
    for plan in tenant_plans(cfg):
        out += [plan.namespace, *plan.objects]
    return out


def tenant_kubeconfig(admin_kubeconfig: str, tenant: str, token: str) -> str:
    """A kubeconfig for the tenant's account: the admin's server and CA, the account's token."""
    return _kubeconfig(admin_kubeconfig, tenant, {"token": token})


def sso_kubeconfig(admin_kubeconfig: str, tenant: str, issuer: str, issuer_ca_pem: str) -> str:
    """A kubeconfig for the tenant's people: the admin's server and CA, kubelogin's exec
    plugin for the user (Dex at `issuer`, trusted through `issuer_ca_pem`); no credential in it."""
    return _kubeconfig(admin_kubeconfig, tenant, exec_user(issuer, issuer_ca_pem))


def _kubeconfig(admin_kubeconfig: str, tenant: str, user: dict[str, Any]) -> str:
    admin = yaml.safe_load(admin_kubeconfig)
    current = next((c for c in admin.get("contexts", []) if c["name"] == admin.get("current-context")),
                   admin["contexts"][0])
    cluster = next(c for c in admin["clusters"] if c["name"] == current["context"]["cluster"])
    context = f"{tenant}@{cluster['name']}"
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [cluster],
        "users": [{"name": tenant, "user": user}],
        "contexts": [{"name": context, "context": {"cluster": cluster["name"], "user": tenant,
                                                   "namespace": tenant}}],
    }, sort_keys=True)
