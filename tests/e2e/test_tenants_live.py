"""The tenants' rendered objects on a real API server: their rights and their quota.

A small kwok cluster (etcd, kube-apiserver with RBAC, controller manager, scheduler and
KWOK controller as processes, started by the program's own kwokctl command) takes the
tenant objects the program registers, by server-side apply in the graph's order. The
API server's authorizer answers SubjectAccessReviews for each tenant's account, the
token controller fills the token Secret the tenant's kubeconfig is built from, and the
quota admission plugin refuses a pod over the quota.
"""
from __future__ import annotations


import pytest
import yaml

from clusterforge.kwok_live import LiveStack, cluster_processes, destroy, free_port, up
from clusterforge.mockrun import run_stack
from clusterforge.render import kubernetes_objects
from components.plan.tenants import tenant_kubeconfig
from tests.e2e.tenants_stack import STACK, resource_attributes, small_kwok_config
from tests.e2e.waiting import wait_until

TENANTS = [
    {"name": "alice", "quota": {"cpu": "2", "memory": "4Gi", "pods": 5, "gpus": 0}},
    {"name": "bob", "podSecurity": "restricted", "quota": {"cpu": "1", "memory": "2Gi", "pods": 3}},
]
ORDER = ("ClusterRole", "Namespace", "ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterRoleBinding",
         "ResourceQuota", "LimitRange")


def _config(bin_dir, port) -> dict:
    return {**small_kwok_config(bin_dir, port, "cf-tenants"), "tenants": TENANTS}


def _tenant_objects(rec) -> list[dict]:
    objects = [o for o in kubernetes_objects(rec)
               if o["kind"] in ORDER and ("clusterforge.io/tenant" in o["metadata"].get("labels", {})
                                          or o["metadata"]["name"] == "clusterforge-tenant-read-only")]
    return sorted(objects, key=lambda o: ORDER.index(o["kind"]))


def _admin(live: LiveStack):
    from kubernetes import client, config

    return config.new_client_from_config_dict(yaml.safe_load(live.kubeconfig)), client


def _token(live: LiveStack, namespace: str, name: str, timeout_s: float = 60) -> str:
    import base64

    api, client = _admin(live)
    core = client.CoreV1Api(api)
    def token() -> str | None:
        secret = core.read_namespaced_secret(name, namespace)
        return base64.b64decode(secret.data["token"]).decode() if secret.data and secret.data.get("token") else None

    return wait_until(token, timeout_s, 0.5, lambda: f"the token controller never filled {namespace}/{name}")


@pytest.fixture(scope="module")
def cluster(kwok_bin, tmp_path_factory):
    port = free_port()
    workdir = tmp_path_factory.mktemp("kwok-tenants")
    config = _config(kwok_bin, port)
    rec = run_stack(STACK, {k: config[k] for k in ("hosts", "emulation", "addons", "tenants")})
    live = LiveStack(workdir=workdir, env={"KWOK_WORKDIR": str(workdir)})
    try:
        up(live, rec)
        api = live.client()
        for obj in _tenant_objects(rec):
            api.apply(obj)
        yield {"live": live, "rec": rec, "config": config}
    finally:
        if live.commands:  # a failed test left the cluster up: take it down all the same
            destroy(live, rec)


def _allowed(live: LiveStack, tenant: str, verb: str, resource: str, namespace: str = "", group: str = "",
             name: str = "") -> bool:
    api, client = _admin(live)
    attrs = resource_attributes(verb, resource, namespace, group, name)
    review = client.AuthorizationV1Api(api).create_subject_access_review({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": f"system:serviceaccount:{tenant}:{tenant}",
                 "groups": ["system:serviceaccounts", f"system:serviceaccounts:{tenant}", "system:authenticated"],
                 "resourceAttributes": attrs}})
    return bool(review.status.allowed)


NAMES = [t["name"] for t in TENANTS]


def test_every_tenant_object_is_on_the_server(cluster):
    objects = _tenant_objects(cluster["rec"])
    assert {o["kind"] for o in objects} == set(ORDER)
    assert len(objects) == 1 + len(TENANTS) * (len(ORDER) - 1)
    api, client = _admin(cluster["live"])
    for name in NAMES:
        ns = client.CoreV1Api(api).read_namespace(name)
        level = next(t.get("podSecurity", "baseline") for t in TENANTS if t["name"] == name)
        assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == level


@pytest.mark.parametrize("tenant", NAMES)
def test_a_tenant_may_do_everything_in_its_namespace(cluster, tenant):
    live = cluster["live"]
    for verb in ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"):
        for group, resource in (("", "pods"), ("", "secrets"), ("", "configmaps"), ("apps", "deployments"),
                                ("batch", "jobs"), ("", "persistentvolumeclaims"),
                                ("rbac.authorization.k8s.io", "roles"), ("", "pods/exec")):
            assert _allowed(live, tenant, verb, resource, tenant, group), (verb, resource)


@pytest.mark.parametrize("tenant", NAMES)
def test_a_tenant_reads_nodes_and_others_pods_but_not_their_secrets_nor_writes_there(cluster, tenant):
    live = cluster["live"]
    other = next(n for n in NAMES if n != tenant)
    for verb in ("get", "list", "watch"):
        assert _allowed(live, tenant, verb, "nodes")
        assert _allowed(live, tenant, verb, "pods", other)
        assert _allowed(live, tenant, verb, "pods")  # all namespaces
        assert not _allowed(live, tenant, verb, "secrets", other)
        assert not _allowed(live, tenant, verb, "secrets", "kube-system")
        assert not _allowed(live, tenant, verb, "secrets")
    for verb in ("create", "update", "patch", "delete"):
        assert not _allowed(live, tenant, verb, "pods", other)
        assert not _allowed(live, tenant, verb, "configmaps", "default")
        assert not _allowed(live, tenant, verb, "nodes")
        assert not _allowed(live, tenant, verb, "namespaces")
        assert not _allowed(live, tenant, verb, "rolebindings", other, "rbac.authorization.k8s.io")
    assert not _allowed(live, tenant, "create", "pods/exec", other)
    assert not _allowed(live, tenant, "get", "pods/log", other)


@pytest.mark.parametrize("tenant", NAMES)
def test_a_tenant_cannot_escalate(cluster, tenant):
    live = cluster["live"]
    rbac = "rbac.authorization.k8s.io"
    for verb in ("create", "update", "patch"):
        assert not _allowed(live, tenant, verb, "clusterrolebindings", group=rbac)
        assert not _allowed(live, tenant, verb, "clusterroles", group=rbac)
    assert not _allowed(live, tenant, "bind", "clusterroles", group=rbac, name="cluster-admin")
    assert not _allowed(live, tenant, "escalate", "clusterroles", group=rbac, name="cluster-admin")
    assert not _allowed(live, tenant, "impersonate", "users")
    assert not _allowed(live, tenant, "impersonate", "serviceaccounts", "kube-system")


def _pod(name: str, cpu: str | None = None, gpus: int = 0) -> dict:
    """A pod every Pod Security level admits (restricted included)."""
    resources: dict = {}
    if cpu is not None:
        resources = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}
    if gpus:
        resources.setdefault("requests", {})["nvidia.com/gpu"] = str(gpus)
        resources.setdefault("limits", {})["nvidia.com/gpu"] = str(gpus)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"automountServiceAccountToken": False,
                     "securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "main", "image": "busybox:1.37", "resources": resources,
                                     "securityContext": {"allowPrivilegeEscalation": False,
                                                         "capabilities": {"drop": ["ALL"]}}}]}}


def _as_tenant(live: LiveStack, tenant: str):
    """A client with the tenant's kubeconfig, built the way the program builds its output."""
    from kubernetes import client, config

    text = tenant_kubeconfig(live.kubeconfig, tenant, _token(live, tenant, f"{tenant}-token"))
    return client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(text))), client


@pytest.mark.parametrize("tenant", NAMES)
def test_the_tenant_kubeconfig_works_and_the_quota_is_enforced(cluster, tenant):
    live = cluster["live"]
    core, client = _as_tenant(live, tenant)
    # Within the quota (and given the LimitRange's defaults): admitted, as the tenant.
    created = core.create_namespaced_pod(tenant, _pod("fits"))
    assert created.spec.containers[0].resources.limits["cpu"] == "1"  # the LimitRange default
    core.delete_namespaced_pod("fits", tenant, grace_period_seconds=0)
    for name, pod in (("too-much-cpu", _pod("too-much-cpu", cpu="64")),
                      ("a-gpu", _pod("a-gpu", gpus=1))):
        with pytest.raises(client.exceptions.ApiException) as refused:
            core.create_namespaced_pod(tenant, pod)
        assert refused.value.status == 403 and "exceeded quota" in refused.value.body, name
    # Outside its namespace the token gets nowhere.
    other = next(n for n in NAMES if n != tenant)
    with pytest.raises(client.exceptions.ApiException) as refused:
        core.create_namespaced_pod(other, _pod("intruder"))
    assert refused.value.status == 403
    with pytest.raises(client.exceptions.ApiException) as refused:
        core.list_namespaced_secret(other)
    assert refused.value.status == 403
    assert {n.metadata.name for n in core.list_node().items}  # nodes are readable
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    with pytest.raises(client.exceptions.ApiException) as refused:
        rbac.create_cluster_role_binding({
            "metadata": {"name": f"{tenant}-takes-over"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": tenant, "namespace": tenant}]})
    assert refused.value.status == 403


def test_destroy_leaves_no_process(cluster):
    live = cluster["live"]
    destroy(live, cluster["rec"])
    assert live.commands == {}
    assert cluster_processes(live.workdir) == []
