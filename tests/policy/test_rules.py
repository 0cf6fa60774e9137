"""Each policy's pure check with resources that pass and resources that fail."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterforge_policy.model import SECRET, UNKNOWN, StackFacts
from clusterforge_policy.rules_cluster import (check_addons_after_cni, check_kwok_only_emulated,
                                               check_load_balancers, check_read_only_dashboard)
from clusterforge_policy.rules_values import (EXACT_VERSION, check_helm_pinned, check_secret_outputs, check_tls,
                                              tls_verification_disabled)

from .helpers import component, k8s, release, res

FACTS = StackFacts(name="s", hosts_kind="proxmox", secrets_visible=True)


def urns(findings):
    return sorted(f.urn for f in findings)


# --- no-tls-verification-disabled ---------------------------------------------------

@pytest.mark.parametrize("props", [
    {"insecure": "true"},
    {"insecure": True},
    {"config": {"insecure-skip-tls-verify": True}},
    {"repositoryOpts": {"insecureSkipTlsVerify": "true"}},
    {"values": {"args": ["--kubelet-insecure-tls"]}},
    {"create": "curl -fsSk https://example.invalid/x | sh"},
    {"create": "curl --insecure https://example.invalid/x"},
    {"environment": {"KUBECONFIG_TEXT": "clusters:\n- cluster:\n    insecure-skip-tls-verify: true\n"}},
    {"environment": {"GIT_SSL_NO_VERIFY": "1"}},
    {"vars": {"validate_certs": False}},
    {"sslVerify": "false"},
])
def test_tls_disabled_is_found(props):
    r = res("pulumi:providers:proxmoxve", "p", **props)
    assert len(check_tls([r], FACTS, {})) == 1


@pytest.mark.parametrize("props", [
    {"insecure": "false"},
    {"insecure": False, "endpoint": "https://pve:8006/"},
    {"create": "curl -fsSL https://example.invalid/x"},
    {"args": ["--insecure-skip-tls-verify=false"]},
    {"sslVerify": True},
    {"values": {"insecureMode": "strict"}},
])
def test_tls_kept_passes(props):
    assert check_tls([res("t:index:T", "t", **props)], FACTS, {}) == []


def test_tls_finding_names_the_field_path():
    assert tls_verification_disabled({"a": {"b": [{"insecure": True}]}}) == ["a.b[0].insecure"]


# --- helm-release-pinned ---------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.2.3", "v0.15.2", "77.6.2", "1.0.0-rc.1", "2.2.3+build.5"])
def test_exact_chart_versions_pass(version):
    assert check_helm_pinned([release("r", version=version)], FACTS, {}) == []


@pytest.mark.parametrize("version", [None, "", "^1.2.0", "~1.2", ">=1.0.0", "1.2", "1.2.x", "*", "latest", UNKNOWN])
def test_loose_chart_versions_fail(version):
    found = check_helm_pinned([release("r", version=version)], FACTS, {})
    assert urns(found) == [release("r").urn] and "pin an exact version" in found[0].message


def test_chart_archive_is_pinned_by_its_file():
    assert check_helm_pinned([release("r", chart="./charts/app-1.0.0.tgz", version=None)], FACTS, {}) == []


@given(st.tuples(*[st.integers(0, 999)] * 3))
def test_every_semver_triple_is_exact(triple):
    assert EXACT_VERSION.match(".".join(map(str, triple)))


# --- load-balancer-needs-address-pool ----------------------------------------------------

LB_SERVICE = k8s("Service", "web", spec={"type": "LoadBalancer", "ports": [{"port": 80}]})
LB_CHART = release("ingress", values={"controller": {"service": {"type": "LoadBalancer"}}})
POOL = k8s("IPAddressPool", "default", "metallb.io/v1beta1", spec={"addresses": ["10.0.0.100-10.0.0.120"]})


def test_load_balancer_without_pool_fails():
    found = check_load_balancers([LB_SERVICE, LB_CHART], FACTS, {})
    assert urns(found) == sorted([LB_SERVICE.urn, LB_CHART.urn])
    assert any("values.controller.service.type" in f.message for f in found)


@pytest.mark.parametrize("provider", [POOL, release("aws-load-balancer-controller")])
def test_load_balancer_with_pool_or_cloud_controller_passes(provider):
    assert check_load_balancers([LB_SERVICE, LB_CHART, provider], FACTS, {}) == []


def test_configured_load_balancer_provider_passes():
    custom = release("my-lb", chart="my-lb")
    assert check_load_balancers([LB_SERVICE, custom], FACTS, {"loadBalancerProviders": ["my-lb"]}) == []


def test_cluster_ip_services_need_no_pool():
    svc = k8s("Service", "web", spec={"type": "ClusterIP"})
    assert check_load_balancers([svc, release("app", values={"service": {"type": "NodePort"}})], FACTS, {}) == []


# --- secrets-as-secret-outputs -----------------------------------------------------------

def test_credential_outputs_must_be_secret_outputs():
    bare = res("random:index/randomPassword:RandomPassword", "pw")
    marked = res("random:index/randomPassword:RandomPassword", "pw2", secret_outputs=("bcryptHash", "result"))
    found = check_secret_outputs([bare, marked], FACTS, {})
    assert urns(found) == [bare.urn] and "bcryptHash" in found[0].message and "result" in found[0].message


def test_command_feeding_a_kubeconfig_must_hide_stdout():
    cmd = res("command:local:Command", "kubeconfig")
    provider = res("pulumi:providers:kubernetes", "k8s", deps=[cmd], secret_outputs=("kubeconfig",), kubeconfig=SECRET)
    assert urns(check_secret_outputs([cmd, provider], FACTS, {})) == [cmd.urn]
    hidden = res("command:local:Command", "kubeconfig", secret_outputs=("stdout",))
    assert check_secret_outputs([hidden, provider], FACTS, {}) == []


@pytest.mark.parametrize("props", [
    {"values": {"grafana": {"adminPassword": "hunter2"}}},
    {"environment": {"SSH_PRIVATE_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"}},
    {"stdin": "users:\n- user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk="},
    {"apiToken": "root@pam!ci=0f6c"},
    {"values": {"config": {"connectors": [{"config": {"clientSecret": "$notonlyavariable-but-text"}}]}}},
])
def test_plain_credentials_fail_where_secrets_are_visible(props):
    r = res("command:local:Command", "c", **props)
    assert urns(check_secret_outputs([r], FACTS, {})) == [r.urn]
    # The engine adapter cannot tell a secret from a plain value: that check stays offline.
    engine = StackFacts(name="s", hosts_kind="proxmox", secrets_visible=False)
    assert check_secret_outputs([r], engine, {}) == []


@pytest.mark.parametrize("props", [
    {"values": {"grafana": {"adminPassword": SECRET}}},
    {"environment": SECRET},
    {"apiToken": SECRET, "endpoint": "https://pve:8006/"},
    {"stdout": UNKNOWN},
    {"automountServiceAccountToken": False, "passwordLength": 20},
    # Dex expands `$VAR` in connector configs from its environment (connectorSecrets).
    {"values": {"config": {"connectors": [{"config": {"clientSecret": "$GITHUB_CLIENT_SECRET"}}]}}},
    {"values": {"config": {"connectors": [{"config": {"bindPW": "${LDAP_BIND_PW}", "password": "${X}"}}]}}},
])
def test_masked_credentials_pass(props):
    assert check_secret_outputs([res("command:local:Command", "c", **props)], FACTS, {}) == []


# --- addons-depend-on-cni --------------------------------------------------------------

CALICO = component("clusterforge:addons:HelmAddon", "calico")
METALLB = component("clusterforge:addons:HelmAddon", "metallb")


def _cni_graph(wait: bool):
    cni = release("tigera-operator", parent=CALICO)
    installation = k8s("Installation", "default", "operator.tigera.io/v1", parent=CALICO, deps=[cni])
    ns = k8s("Namespace", "metallb-system", parent=METALLB, deps=[installation] if wait else [])
    lb = release("metallb", parent=METALLB, deps=[ns])
    pool = k8s("IPAddressPool", "default", "metallb.io/v1beta1", parent=METALLB, deps=[lb])
    return [cni, installation, ns, lb, pool]


def test_addons_waiting_for_the_cni_pass():
    assert check_addons_after_cni(_cni_graph(wait=True), FACTS, {}) == []


def test_addons_not_waiting_for_the_cni_fail():
    cni, installation, ns, lb, pool = _cni_graph(wait=False)
    found = check_addons_after_cni([cni, installation, ns, lb, pool], FACTS, {})
    assert urns(found) == sorted([ns.urn, lb.urn, pool.urn])
    assert "tigera-operator" in found[0].message


def test_stack_without_a_cni_release_has_nothing_to_order():
    assert check_addons_after_cni([release("kube-prometheus-stack")], FACTS, {}) == []


def test_configured_cni_chart_counts():
    cni = release("my-cni")
    app = release("app")
    assert urns(check_addons_after_cni([cni, app], FACTS, {"cniCharts": ["my-cni"]})) == [app.urn]


# --- read-only-dashboard ---------------------------------------------------------------

DASHBOARD = component("clusterforge:addons:HelmAddon", "dashboard")
RBAC = "rbac.authorization.k8s.io/v1"
LABEL = "clusterforge.io/aggregate-to-read-only"


def _roles(cluster_rules, selectors=None, binding_role="clusterforge-read-only"):
    reads = k8s("ClusterRole", "clusterforge-read-only-cluster", RBAC, parent=DASHBOARD,
                metadata={"labels": {LABEL: "true"}}, rules=cluster_rules)
    top = k8s("ClusterRole", "clusterforge-read-only", RBAC, parent=DASHBOARD, rules=[],
              aggregationRule={"clusterRoleSelectors": selectors if selectors is not None else [
                  {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                  {"matchLabels": {LABEL: "true"}}]})
    binding = k8s("ClusterRoleBinding", "viewer", RBAC, parent=DASHBOARD,
                  roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": binding_role},
                  subjects=[{"kind": "ServiceAccount", "name": "viewer", "namespace": "headlamp"}])
    return [reads, top, binding]


READS = [{"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": ["get", "list", "watch"]}]


def test_read_only_roles_pass():
    assert check_read_only_dashboard(_roles(READS), FACTS, {}) == []


@pytest.mark.parametrize("rules, words", [
    ([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}], "patch"),
    ([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], "Secrets"),
    ([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}], "all resources"),
    ([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}], "*"),
])
def test_aggregated_role_with_writes_or_secrets_fails(rules, words):
    found = check_read_only_dashboard(_roles(rules), FACTS, {})
    assert len(found) == 1 and words in found[0].message


def test_aggregating_edit_roles_fails():
    found = check_read_only_dashboard(
        _roles(READS, selectors=[{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]),
        FACTS, {})
    assert len(found) == 1 and "aggregate-to-edit" in found[0].message


def test_dashboard_bound_to_another_role_fails():
    found = check_read_only_dashboard(_roles(READS, binding_role="cluster-admin"), FACTS, {})
    assert len(found) == 1 and "cluster-admin" in found[0].message


# --- kwok-only-on-emulated-stacks -------------------------------------------------------

EMULATION = component("clusterforge:emulation:Emulation", "emulation")


def _kwok():
    return [res("command:local:Command", "nodes-a100", parent=EMULATION, stdin="{}"),
            k8s("Stage", "node-initialize", "kwok.x-k8s.io/v1alpha1", parent=EMULATION)]


def test_kwok_on_a_kind_stack_passes():
    assert check_kwok_only_emulated(_kwok(), StackFacts(name="emulated", hosts_kind="kind"), {}) == []


def test_kwok_on_a_kwok_stack_passes():
    assert check_kwok_only_emulated(_kwok(), StackFacts(name="emulated-kwok", hosts_kind="kwok"), {}) == []


def test_kwok_on_a_real_stack_fails_per_node_group():
    found = check_kwok_only_emulated(_kwok(), StackFacts(name="homelab", hosts_kind="proxmox"), {})
    assert urns(found) == [_kwok()[0].urn] and "homelab" in found[0].message


def test_kwok_opt_in_by_stack_name_passes():
    facts = StackFacts(name="staging", hosts_kind="existing")
    assert check_kwok_only_emulated(_kwok(), facts, {"allowedStacks": ["staging"]}) == []


def test_stack_without_kwok_passes():
    assert check_kwok_only_emulated([release("app")], StackFacts(name="x", hosts_kind="aws"), {}) == []


def test_the_tenants_cluster_wide_view_is_checked_too():
    tenants = "urn:pulumi:homelab::clusterforge::clusterforge:index:Cluster$clusterforge:tenants:Tenants::tenants"
    view = k8s("ClusterRole", "clusterforge-tenant-read-only", RBAC, parent=tenants,
               rules=[{"apiGroups": [""], "resources": ["nodes", "pods", "secrets"], "verbs": ["get"]}])
    found = check_read_only_dashboard([view], FACTS, {})
    assert len(found) == 1 and "Secrets" in found[0].message
