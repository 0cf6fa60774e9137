"""SSO under the mock runtime: what a tenant with groups declares, the authentication command
before kubeadm init, the CA made once before both, diff and check with an SSO tenant."""
from __future__ import annotations

import copy
import json

import pytest

from clusterforge import render as render_module
from clusterforge.check import check_stack
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack
from components.plan.sso import AUTHN_FILE, KUBECTL_CLIENT_ID

COMMAND = "command:local:Command"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"


def _tenants(**groups):
    tenants = copy.deepcopy(read_stack("datalab").namespaced()["tenants"])
    for tenant in tenants:
        if tenant["name"] in groups:
            tenant["groups"] = groups[tenant["name"]]
    return tenants


@pytest.fixture(scope="module")
def datalab():
    return run_stack("datalab", {"tenants": _tenants(alice=["alice-lab", "physics"])})


def _children(rec, name):
    component = next(r for r in rec.of_type("clusterforge:tenants:Tenant") if r.name == name)
    return {r.type.rsplit(":", 1)[1]: r for r in rec.resources if r.parent == component.urn and r.custom
            and "spark" not in r.name}


def test_a_tenant_with_groups_binds_them_and_has_no_token_secret(datalab):
    alice, bob = _children(datalab, "alice"), _children(datalab, "bob")
    assert "Secret" not in alice and "Secret" in bob
    assert "ServiceAccount" in alice  # for the tenant's workloads
    groups = [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:alice-lab"},
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:physics"}]
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        subjects = alice[kind].inputs["subjects"]
        assert subjects[0] == {"kind": "ServiceAccount", "name": "alice", "namespace": "alice"}
        assert subjects[1:] == groups, kind
        assert [s["kind"] for s in bob[kind].inputs["subjects"]] == ["ServiceAccount"]
    assert datalab.outputs["tenantKubeconfigs"] == "[secret]"  # still one secret output


def test_the_authentication_command_runs_on_the_control_planes_before_init(datalab):
    authn = datalab.named("datalab-authentication")
    init = datalab.named("datalab-control-plane")
    assert authn.urn in init.dependencies
    prepares = {r.name: r.urn for r in datalab.of_type(COMMAND) if r.name.startswith("prepare-")}
    control_planes = [n for n in prepares if n.startswith("prepare-cp-")]
    assert control_planes and {prepares[n] for n in control_planes} <= set(authn.dependencies)
    assert authn.inputs["create"] == "scripts/run-phase authentication --input -"
    assert authn.inputs["triggers"][0].startswith("playbook:")
    # The kubeadm documents name the file and mount it; the file's text waits for the CA.
    docs = json.loads(init.inputs["stdin"])["inventory"]["all"]["vars"]["kubeadm_documents"]
    [cluster] = [d for docs_ in docs.values() for d in docs_ if d["kind"] == "ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == [{"name": "authentication-config", "value": AUTHN_FILE}]


def test_the_cluster_ca_is_made_once_before_provisioning_with_the_same_name(datalab):
    [cert] = datalab.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert cert.name == "cluster-ca" and cert.parent.endswith("clusterforge:index:Cluster::datalab")
    order = [r.name for r in datalab.resources]
    assert order.index("cluster-ca") < order.index("datalab-authentication")


def test_dex_has_the_kubectl_client(datalab):
    [dex] = [r for r in datalab.of_type("kubernetes:helm.sh/v3:Release") if r.name == "dex"]
    clients = dex.inputs["values"]["config"]["staticClients"]
    assert [c for c in clients if c["id"] == KUBECTL_CLIENT_ID][0]["public"] is True


def test_stacks_without_dex_declare_no_authentication_command():
    rec = run_stack("onprem")
    assert not [r for r in rec.of_type(COMMAND) if r.name.endswith("-authentication")]


CAROL = ["carol", "namespace-carol", "serviceaccount-carol-carol", "role-carol-tenant-admin",
         "rolebinding-carol-tenant-admin", "clusterrolebinding-clusterforge-tenant-carol-read-only",
         "resourcequota-carol-tenant-quota", "limitrange-carol-tenant-limits",
         "serviceaccount-carol-spark", "role-carol-spark-driver", "rolebinding-carol-spark-driver"]


def test_adding_one_sso_tenant_adds_only_its_resources_in_clusterforge_diff(tmp_path, capsys):
    from clusterforge.cli import main

    base_tenants = _tenants(alice=["alice-lab"])
    head_tenants = [*base_tenants, {"name": "carol", "groups": ["carol-lab"]}]
    base = render_module.render_stack("datalab", tmp_path / "base" / "datalab", overrides={"tenants": base_tenants}).out
    head = render_module.render_stack("datalab", tmp_path / "head" / "datalab", overrides={"tenants": head_tenants}).out
    assert main(["diff", str(base), str(head)]) == 1
    lines = capsys.readouterr().out.splitlines()
    added = sorted(line.split()[-1] for line in lines[1:] if line.startswith("+ "))
    assert added == sorted(CAROL), lines
    # Nothing else changes: the Spark operator finds the new namespace by its label.
    assert [line for line in lines[1:] if not line.startswith("+ ")] == [], lines
    # issue 24: the text prints the diff's one summary first (it was a count line last)
    assert lines[0] == f"datalab: {len(CAROL)} to add, 0 to change, 0 to replace, 0 to remove"


def test_every_object_of_an_sso_stack_passes_check(crd_dir):
    report = check_stack("datalab", crd_dir, overrides={"tenants": _tenants(alice=["alice-lab"])})
    assert report.ok, report.text()
