"""SSO, pure: the tenants' group subjects, the API server's AuthenticationConfiguration, the
kubeadm ClusterConfiguration's flag and mount, Dex's kubectl client, the exec kubeconfig."""
from __future__ import annotations

import base64

import yaml
from hypothesis import given
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, read_stack
from components.config.tenants import Tenant
from components.plan.addons.dex import dex_config
from components.plan.addons.ingress_inputs import issuer_url
from components.plan.load import load_stack_config
from components.plan.provisioning.kubeadm_config import ClusterSettings, cluster_configuration
from components.plan.provisioning.work import AUTHENTICATION, plan_work
from components.plan.hosts.expand import host_specs
from components.plan.sso import (AUTHN_FILE, AUTHN_VARIABLE, KUBECTL_CLIENT_ID, PREFIX, authentication_configuration,
                                 sso_enabled)
from components.plan.tenants import sso_kubeconfig, tenant_plan, tenant_plans

# datalab with alice signing on through her lab's IdP group (bob keeps his token).
DATALAB = load_stack_config(apply_overrides(read_stack("datalab"), {"tenants[0].groups": ["alice-lab"]}).namespaced())
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
GROUPS = st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.:=,/-]{0,30}[A-Za-z0-9]", fullmatch=True),
                  min_size=1, max_size=4, unique=True)
ADMIN = yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "admin@lab",
                        "clusters": [{"name": "lab", "cluster": {"server": "https://10.0.0.1:6443",
                                                                 "certificate-authority-data": "Q0E="}}],
                        "users": [{"name": "admin", "user": {"client-key-data": "S0VZ"}}],
                        "contexts": [{"name": "admin@lab", "context": {"cluster": "lab", "user": "admin"}}]})


def _kinds(plan):
    return {o["kind"]: o for o in plan.objects}


@given(GROUPS)
def test_each_group_is_a_prefixed_subject_of_both_bindings_beside_the_account(groups):
    kinds = _kinds(tenant_plan(Tenant(name="alice", groups=groups), sso=True))
    expected = [{"kind": "ServiceAccount", "name": "alice", "namespace": "alice"},
                *({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": f"oidc:{g}"} for g in groups)]
    assert kinds["RoleBinding"]["subjects"] == expected
    assert kinds["ClusterRoleBinding"]["subjects"] == expected
    # No IdP group can land on a Kubernetes group (system:masters ...): they all carry the prefix.
    assert all(s["name"].startswith(PREFIX) for s in expected[1:])
    assert "Secret" not in kinds and "ServiceAccount" in kinds  # the account stays for workloads


def test_without_sso_a_tenant_is_as_before_whatever_it_lists():
    assert tenant_plan(Tenant(name="bob", groups=["lab"])) == tenant_plan(Tenant(name="bob"))
    assert "Secret" in _kinds(tenant_plan(Tenant(name="bob")))


def test_the_datalab_stack_has_sso_and_only_the_tenant_with_groups_uses_it():
    assert sso_enabled(DATALAB)
    alice, bob = tenant_plans(DATALAB)
    assert alice.sso and not bob.sso
    assert "Secret" not in _kinds(alice) and "Secret" in _kinds(bob)


def test_kind_and_kwok_clusters_have_no_sso():
    kwok = load_stack_config(read_stack("emulated-kwok").namespaced())
    assert not sso_enabled(kwok)
    assert not sso_enabled(load_stack_config(read_stack("onprem").namespaced()))  # no Dex


def test_the_authentication_configuration_trusts_dex_for_the_kubectl_client():
    doc = authentication_configuration(issuer_url(DATALAB), CA)
    assert doc["apiVersion"] == "apiserver.config.k8s.io/v1" and doc["kind"] == "AuthenticationConfiguration"
    [jwt] = doc["jwt"]
    assert jwt["issuer"] == {"url": issuer_url(DATALAB), "certificateAuthority": CA, "audiences": ["kubernetes"]}
    assert jwt["claimMappings"] == {"username": {"claim": "email", "prefix": "oidc:"},
                                    "groups": {"claim": "groups", "prefix": "oidc:"}}
    assert issuer_url(DATALAB).startswith("https://")


def test_the_cluster_configuration_gets_the_flag_and_a_read_only_mount_only_with_sso():
    def api_server(cfg):
        return cluster_configuration(ClusterSettings.from_config(cfg, "10.0.0.1:6443", 1))["apiServer"]

    sso = api_server(DATALAB)
    assert sso["extraArgs"] == [{"name": "authentication-config", "value": AUTHN_FILE}]
    [volume] = sso["extraVolumes"]
    assert volume["readOnly"] and AUTHN_FILE.startswith(volume["mountPath"] + "/")
    assert volume["hostPath"] == volume["mountPath"]
    onprem = api_server(load_stack_config(read_stack("onprem").namespaced()))
    assert set(onprem) == {"certSANs"}


def test_the_authentication_work_runs_on_every_control_plane_and_its_trigger_is_the_file():
    hosts = host_specs(DATALAB)
    work = plan_work(DATALAB, hosts, CA).cluster[AUTHENTICATION]
    control_planes = sorted(h.name for h in hosts if h.role == "control-plane")
    groups = work.inventory["all"]["children"]["k8s_cluster"]["children"]
    assert sorted(groups["control_plane"]["hosts"]) == control_planes
    text = work.inventory["all"]["vars"][AUTHN_VARIABLE]
    assert yaml.safe_load(text) == authentication_configuration(issuer_url(DATALAB), CA)
    renewed = plan_work(DATALAB, hosts, CA.replace("MIIB", "MIIC"))
    assert renewed.cluster[AUTHENTICATION].triggers != work.triggers
    # The CA is not in the kubeadm documents: a renewed CA re-runs no init or join.
    assert renewed.cluster["control-plane"].triggers == plan_work(DATALAB, hosts, CA).cluster["control-plane"].triggers
    assert AUTHN_VARIABLE not in plan_work(DATALAB, hosts, CA).inventory["all"]["vars"]


def test_dex_gets_the_public_kubectl_client_for_kubelogin():
    [client] = [c for c in dex_config(DATALAB)["staticClients"] if c["id"] == KUBECTL_CLIENT_ID]
    assert client["public"] is True and "secret" not in client and "secretEnv" not in client
    assert client["redirectURIs"] == ["http://localhost:8000", "http://localhost:18000"]


@given(st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True))
def test_the_sso_kubeconfig_runs_kubelogin_and_holds_no_credential(tenant):
    issuer = issuer_url(DATALAB)
    config = yaml.safe_load(sso_kubeconfig(ADMIN, tenant, issuer, CA))
    [user] = config["users"]
    assert user["name"] == tenant and set(user["user"]) == {"exec"}
    exec_ = user["user"]["exec"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1" and exec_["command"] == "kubectl"
    assert exec_["args"][:2] == ["oidc-login", "get-token"]
    assert f"--oidc-issuer-url={issuer}" in exec_["args"] and "--oidc-client-id=kubernetes" in exec_["args"]
    assert {"--oidc-extra-scope=email", "--oidc-extra-scope=groups"} <= set(exec_["args"])
    [ca] = [a for a in exec_["args"] if a.startswith("--certificate-authority-data=")]
    assert base64.b64decode(ca.split("=", 1)[1]).decode() == CA
    assert exec_["interactiveMode"] == "IfAvailable"
    [cluster] = config["clusters"]
    assert cluster["cluster"]["server"] == "https://10.0.0.1:6443"  # the admin's server and CA
    assert config["contexts"][0]["context"] == {"cluster": "lab", "user": tenant, "namespace": tenant}
    assert "S0VZ" not in yaml.safe_dump(config)  # nothing of the admin's credential
