"""The pure tenant plan: objects, names from the tenant's name, RBAC reach, quotas, kubeconfig."""
from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.config.tenants import Tenant, TenantLimits, TenantQuota
from components.plan.tenants import (CLUSTER_READS, READ, READ_ONLY_ROLE, all_objects, shared_objects,
                                     tenant_kubeconfig, tenant_plan)

NAMES = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


class _Cfg:
    def __init__(self, tenants):
        self.tenants = tenants


def _by_kind(plan):
    return {o["kind"]: o for o in plan.objects}


def test_a_tenant_has_every_object_it_needs():
    plan = tenant_plan(Tenant(name="alice", pod_security="restricted",
                              quota=TenantQuota(cpu="4", memory="8Gi", gpus=2, persistent_volume_claims=3,
                                                storage="20Gi")))
    assert plan.namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    kinds = _by_kind(plan)
    assert sorted(kinds) == ["ClusterRoleBinding", "LimitRange", "ResourceQuota", "Role", "RoleBinding",
                             "Secret", "ServiceAccount"]
    assert kinds["ResourceQuota"]["spec"]["hard"] == {
        "requests.cpu": "4", "limits.cpu": "4", "requests.memory": "8Gi", "limits.memory": "8Gi",
        "requests.nvidia.com/gpu": "2", "pods": "100", "persistentvolumeclaims": "3",
        "requests.storage": "20Gi"}
    [limit] = kinds["LimitRange"]["spec"]["limits"]
    assert limit == {"type": "Container", "default": {"cpu": "1", "memory": "1Gi"},
                     "defaultRequest": {"cpu": "100m", "memory": "256Mi"}}
    secret = kinds["Secret"]
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "alice"}
    assert "data" not in secret and "stringData" not in secret  # the token controller fills it


def test_the_tenant_role_reaches_nothing_outside_its_namespace():
    plan = tenant_plan(Tenant(name="alice"))
    kinds = _by_kind(plan)
    role, binding = kinds["Role"], kinds["RoleBinding"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "alice"
    # A RoleBinding to a Role: both namespaced, so the rights end at the namespace.
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "alice", "namespace": "alice"}]
    for o in plan.objects:  # everything but the read binding lives in the namespace
        if o["kind"] != "ClusterRoleBinding":
            assert o["metadata"]["namespace"] == "alice", o


def test_the_cluster_wide_binding_is_read_only_and_excludes_secrets():
    [role] = shared_objects()
    assert role["kind"] == "ClusterRole" and role["metadata"]["name"] == READ_ONLY_ROLE
    assert "aggregationRule" not in role  # nothing can widen it by label
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= set(READ)
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert "secrets" not in rule["resources"]
        assert not [r for r in rule["resources"] if "/" in r]  # no subresources (exec, log, proxy)
    assert {r for rule in CLUSTER_READS for r in rule["resources"]} == {"nodes", "pods"}
    binding = _by_kind(tenant_plan(Tenant(name="bob")))["ClusterRoleBinding"]
    assert binding["roleRef"]["kind"] == "ClusterRole" and binding["roleRef"]["name"] == READ_ONLY_ROLE
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "bob", "namespace": "bob"}]


@given(st.lists(NAMES, min_size=1, max_size=6, unique=True), NAMES)
def test_adding_a_tenant_leaves_every_other_object_unchanged(names, extra):
    if extra in names:
        return
    before = all_objects(_Cfg([Tenant(name=n) for n in names]))
    after = all_objects(_Cfg([Tenant(name=n) for n in [*names[:1], extra, *names[1:]]]))
    key = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    old, new = {key(o): o for o in before}, {key(o): o for o in after}
    assert len(old) == len(before) and len(new) == len(after)  # names never collide
    assert all(new[k] == v for k, v in old.items())
    added = [v for k, v in new.items() if k not in old]
    assert added and all(extra in (o["metadata"].get("namespace"), o["metadata"]["name"])
                         or extra in o["metadata"]["name"] for o in added)
    assert {o["metadata"]["labels"]["clusterforge.io/tenant"] for o in added} == {extra}


def test_no_tenants_no_objects():
    assert all_objects(_Cfg([])) == []


def test_limits_are_the_config_s():
    plan = tenant_plan(Tenant(name="c", limits=TenantLimits(default_cpu_request="250m",
                                                            default_memory_limit="2Gi")))
    [limit] = _by_kind(plan)["LimitRange"]["spec"]["limits"]
    assert limit["defaultRequest"]["cpu"] == "250m" and limit["default"]["memory"] == "2Gi"


def test_the_tenant_kubeconfig_keeps_the_server_and_ca_and_carries_only_the_token():
    admin = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "admin@c",
        "clusters": [{"name": "c", "cluster": {"server": "https://10.0.0.1:6443",
                                               "certificate-authority-data": "Q0E="}}],
        "users": [{"name": "admin", "user": {"client-key-data": "S0VZ"}}],
        "contexts": [{"name": "admin@c", "context": {"cluster": "c", "user": "admin"}}]})
    out = yaml.safe_load(tenant_kubeconfig(admin, "alice", "tok-123"))
    assert out["clusters"] == [{"name": "c", "cluster": {"server": "https://10.0.0.1:6443",
                                                         "certificate-authority-data": "Q0E="}}]
    assert out["users"] == [{"name": "alice", "user": {"token": "tok-123"}}]
    assert out["contexts"][0]["context"] == {"cluster": "c", "user": "alice", "namespace": "alice"}
    assert "S0VZ" not in yaml.safe_dump(out)  # the admin's key never reaches a tenant
