"""Tenants with single sign-on on a real API server: Dex's ID tokens as the API server maps them.

The kwok cluster of test_tenants_live.py (real kube-apiserver, RBAC, etcd), started with the
AuthenticationConfiguration the program renders (components/plan/sso.py) pointed at a
TEST DOUBLE of Dex (fake_oidc.py: a local HTTPS issuer with a test CA and a test signing
key). The tenants' objects are the plan's with SSO on. With the ID token a tenant's member
would get from Dex, the API server itself says who the bearer is (SelfSubjectReview) and
what it may do (SelfSubjectAccessReview), and serves or refuses real requests.
"""
from __future__ import annotations

import shlex

import pytest
import yaml

from clusterforge.kwok_live import LiveStack, cluster_command, destroy, free_port, up
from clusterforge.mockrun import run_stack
from components.config.tenants import Tenant
from components.plan.sso import authentication_configuration
from components.plan.tenants import shared_objects, tenant_kubeconfig, tenant_plan
from tests.e2e.fake_oidc import FakeIssuer
from tests.e2e.tenants_stack import STACK, resource_attributes, small_kwok_config
from tests.e2e.waiting import wait_until

TENANTS = {"alice": ["alice-lab"], "bob": ["bob-lab", "physics"]}
EMAIL = {"alice": "alice@lab.test", "bob": "bob@lab.test"}
NAMES = list(TENANTS)


def _with_authentication_config(create: str, path: str) -> str:
    """kwokctl's create command with the API server flag kubeadm gets (ClusterConfiguration's
    extraArgs there; kwokctl's --extra-args here)."""
    flag = shlex.quote(f"kube-apiserver=authentication-config={path}")
    assert " create cluster " in create
    return create.replace(" create cluster ", f" create cluster --extra-args {flag} ", 1)


def _client(live: LiveStack, token: str):
    """A client presenting `token` as its bearer, as the tenant's exec plugin hands it over."""
    from kubernetes import client, config

    text = tenant_kubeconfig(live.kubeconfig, "sso", token)
    return config.new_client_from_config_dict(yaml.safe_load(text)), client


def _review(live: LiveStack, token: str):
    api, client = _client(live, token)
    return client.AuthenticationV1Api(api).create_self_subject_review(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).status.user_info


def _wait_for_authenticator(live: LiveStack, token: str, timeout_s: float = 90):
    """The JWT authenticator fetches the issuer's discovery and keys after the API server starts."""
    from kubernetes.client.exceptions import ApiException

    def review():
        try:
            return _review(live, token)
        except ApiException as err:
            if err.status != 401:
                raise
            return None  # not trusted yet

    return wait_until(review, timeout_s, 0.5, lambda: f"the API server still refuses the token (401) "
                                                      f"after {timeout_s}s")


@pytest.fixture(scope="module")
def cluster(kwok_bin, tmp_path_factory):
    issuer = FakeIssuer().start()
    workdir = tmp_path_factory.mktemp("kwok-tenants-sso")
    authn = workdir / "authentication-config.yaml"
    authn.write_text(yaml.safe_dump(authentication_configuration(issuer.issuer, issuer.ca_pem)))
    config = small_kwok_config(kwok_bin, free_port(), "cf-tenants-sso")
    rec = run_stack(STACK, {k: config[k] for k in ("hosts", "emulation", "addons")})
    command = cluster_command(rec)
    command.inputs["create"] = _with_authentication_config(command.inputs["create"], str(authn))
    live = LiveStack(workdir=workdir, env={"KWOK_WORKDIR": str(workdir)})
    try:
        up(live, rec)
        api = live.client()
        for obj in shared_objects():
            api.apply(obj)
        for name, groups in TENANTS.items():
            plan = tenant_plan(Tenant(name=name, groups=groups), sso=True)
            for obj in (plan.namespace, *plan.objects):
                api.apply(obj)
        tokens = {name: issuer.id_token(EMAIL[name], groups) for name, groups in TENANTS.items()}
        _wait_for_authenticator(live, tokens["alice"])
        yield {"live": live, "rec": rec, "issuer": issuer, "tokens": tokens}
    finally:
        if live.commands:
            destroy(live, rec)
        issuer.stop()


def _allowed(cluster, tenant: str, verb: str, resource: str, namespace: str = "", group: str = "",
             name: str = "", token: str | None = None) -> bool:
    api, client = _client(cluster["live"], token or cluster["tokens"][tenant])
    attrs = resource_attributes(verb, resource, namespace, group, name)
    review = client.AuthorizationV1Api(api).create_self_subject_access_review({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs}})
    return bool(review.status.allowed)


@pytest.mark.parametrize("tenant", NAMES)
def test_the_api_server_maps_the_token_to_the_prefixed_user_and_groups(cluster, tenant):
    user = _review(cluster["live"], cluster["tokens"][tenant])
    assert user.username == f"oidc:{EMAIL[tenant]}"
    assert set(user.groups) == {f"oidc:{g}" for g in TENANTS[tenant]} | {"system:authenticated"}
    # The API server read the double's discovery and keys: nothing was stubbed on its side.
    assert {"/dex/.well-known/openid-configuration", "/dex/keys"} <= set(cluster["issuer"].fetched)


@pytest.mark.parametrize("tenant", NAMES)
def test_a_member_may_do_everything_in_the_tenants_namespace(cluster, tenant):
    for verb in ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"):
        for group, resource in (("", "pods"), ("", "secrets"), ("", "configmaps"), ("apps", "deployments"),
                                ("batch", "jobs"), ("rbac.authorization.k8s.io", "roles"), ("", "pods/exec")):
            assert _allowed(cluster, tenant, verb, resource, tenant, group), (verb, resource)


@pytest.mark.parametrize("tenant", NAMES)
def test_a_member_reads_nodes_and_others_pods_but_not_their_secrets_nor_writes_elsewhere(cluster, tenant):
    other = next(n for n in NAMES if n != tenant)
    for verb in ("get", "list", "watch"):
        assert _allowed(cluster, tenant, verb, "nodes")
        assert _allowed(cluster, tenant, verb, "pods", other)
        assert _allowed(cluster, tenant, verb, "pods")
        assert not _allowed(cluster, tenant, verb, "secrets", other)
        assert not _allowed(cluster, tenant, verb, "secrets", "kube-system")
    for verb in ("create", "update", "patch", "delete"):
        assert not _allowed(cluster, tenant, verb, "pods", other)
        assert not _allowed(cluster, tenant, verb, "configmaps", "default")
        assert not _allowed(cluster, tenant, verb, "nodes")
        assert not _allowed(cluster, tenant, verb, "clusterrolebindings", group="rbac.authorization.k8s.io")
    assert not _allowed(cluster, tenant, "impersonate", "users")


def test_real_requests_with_the_token_are_served_in_the_namespace_and_refused_outside(cluster):
    api, client = _client(cluster["live"], cluster["tokens"]["alice"])
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("alice", {"metadata": {"name": "notes"}, "data": {"a": "b"}})
    assert core.read_namespaced_config_map("notes", "alice").data == {"a": "b"}
    assert {n.metadata.name for n in core.list_node().items}
    for call in (lambda: core.list_namespaced_secret("bob"),
                 lambda: core.create_namespaced_config_map("bob", {"metadata": {"name": "intruder"}})):
        with pytest.raises(client.exceptions.ApiException) as refused:
            call()
        assert refused.value.status == 403


def test_an_idp_group_named_like_a_kubernetes_group_gets_nothing(cluster):
    """The prefix: a token claiming `system:masters` is oidc:system:masters, no admin."""
    token = cluster["issuer"].id_token("mallory@lab.test", ["system:masters", "system:nodes"])
    user = _review(cluster["live"], token)
    assert "system:masters" not in user.groups and "oidc:system:masters" in user.groups
    assert not _allowed(cluster, "", "list", "secrets", "kube-system", token=token)
    assert not _allowed(cluster, "", "get", "nodes", token=token)  # in no tenant's group either


def test_a_token_for_another_client_or_expired_is_refused(cluster):
    from kubernetes.client.exceptions import ApiException

    issuer = cluster["issuer"]
    for token in (issuer.id_token(EMAIL["alice"], TENANTS["alice"], audience="oauth2-proxy"),
                  issuer.id_token(EMAIL["alice"], TENANTS["alice"], lifetime_s=-120)):
        with pytest.raises(ApiException) as refused:
            _review(cluster["live"], token)
        assert refused.value.status == 401


def test_destroy_leaves_no_process(cluster):
    from clusterforge.kwok_live import cluster_processes

    live = cluster["live"]
    destroy(live, cluster["rec"])
    assert live.commands == {} and cluster_processes(live.workdir) == []
