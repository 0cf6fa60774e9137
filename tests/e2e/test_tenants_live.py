"""The tenants under the real engine: `pulumi up` of a small kwok stack with two tenants.

The plain `pulumi` CLI runs the program (clusterforge.engine): kwokctl starts etcd,
kube-apiserver with RBAC, the controller manager, the scheduler and the KWOK controller
as processes; the kubernetes provider creates the tenants' objects in the graph's order;
the token controller fills each tenant's token Secret and the program builds the tenant's
kubeconfig from it, a secret stack output. The API server's authorizer answers
SubjectAccessReviews for each tenant's account, that very kubeconfig is used as the
tenant, and the quota admission plugin refuses a pod over the quota.
"""
from __future__ import annotations

import json

import pytest
import yaml

from clusterforge.engine import KWOK_PLUGINS, EngineError, EngineStack, create_workspace
from clusterforge.kwok_live import cluster_processes, free_port, missing_binaries
from tests import needs
from tests.e2e.tenants_stack import STACK, resource_attributes, small_kwok_config

TENANTS = [
    {"name": "alice", "quota": {"cpu": "2", "memory": "4Gi", "pods": 5, "gpus": 0}},
    {"name": "bob", "podSecurity": "restricted", "quota": {"cpu": "1", "memory": "2Gi", "pods": 3}},
]
ORDER = ("ClusterRole", "Namespace", "ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterRoleBinding",
         "ResourceQuota", "LimitRange")


class Live:
    """What the tests read: the admin and tenant kubeconfigs the stack outputs."""

    def __init__(self, stack: EngineStack):
        self.stack = stack
        self.kubeconfig = stack.output("kubeconfig")
        self.tenant_kubeconfigs = json.loads(stack.output("tenantKubeconfigs"))


def _admin(live: Live):
    from kubernetes import client, config

    return config.new_client_from_config_dict(yaml.safe_load(live.kubeconfig)), client


@pytest.fixture(scope="module")
def cluster(kwok_bin, tmp_path_factory):
    try:
        ws = create_workspace(tmp_path_factory.mktemp("engine-tenants"), plugins=KWOK_PLUGINS)
    except EngineError as err:
        needs.missing(str(err))
    if missing_binaries(kwok_bin):
        needs.missing(f"the toolchain lacks {missing_binaries(kwok_bin)}")
    stack = EngineStack(ws, STACK)
    stack.init()
    port = free_port()

    def small_with_tenants(config):
        small = small_kwok_config(kwok_bin, port, "cf-tenants")
        for key in ("hosts", "emulation", "addons"):
            config[f"clusterforge:{key}"] = small[key]
        config["clusterforge:tenants"] = TENANTS

    stack.edit(small_with_tenants)
    try:
        stack.run("up", "--yes", "--skip-preview")
        yield {"live": Live(stack), "stack": stack, "workdir": ws.root / "user" / ".kwok"}
    finally:
        if [r for r in stack.resources() if r["type"] != "pulumi:pulumi:Stack"]:
            stack.run("destroy", "--yes", "--skip-preview", check=False)


def _allowed(live: Live, tenant: str, verb: str, resource: str, namespace: str = "", group: str = "",
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
    kinds = [r["type"].rsplit(":", 1)[1] for r in cluster["stack"].resources()
             if r["type"].startswith("kubernetes:") and "clusterforge:tenants" in r["urn"]]
    assert set(kinds) >= set(ORDER) - {"ClusterRole"}
    assert len([k for k in kinds if k != "ClusterRoleBinding"]) == len(TENANTS) * (len(ORDER) - 2)
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


def _as_tenant(live: Live, tenant: str):
    """A client with the kubeconfig the stack outputs for the tenant."""
    from kubernetes import client, config

    text = live.tenant_kubeconfigs[tenant]
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
    stack = cluster["stack"]
    stack.run("destroy", "--yes", "--skip-preview")
    assert [r for r in stack.resources() if r["type"] != "pulumi:pulumi:Stack"] == []
    assert cluster_processes(cluster["workdir"]) == []
