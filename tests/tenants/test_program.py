"""Tenants under the mock runtime: resources, parents, edges, options, outputs, diff, check."""
from __future__ import annotations

import copy

import pytest

from clusterforge import render as render_module
from clusterforge.check import check_stack
from clusterforge.diff import diff_plans
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack

TENANT_TYPE = "clusterforge:tenants:Tenant"
CLUSTER_TYPE = "clusterforge:index:Cluster"
KINDS = {"kubernetes:core/v1:Namespace", "kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret",
         "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
         "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:core/v1:ResourceQuota",
         "kubernetes:core/v1:LimitRange"}


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


def _children(rec, component):
    return [r for r in rec.resources if r.parent == component.urn]


def test_each_tenant_is_one_component_with_every_resource(homelab):
    [cluster] = homelab.of_type(CLUSTER_TYPE)
    tenants = {t.name: t for t in homelab.of_type(TENANT_TYPE)}
    assert sorted(tenants) == ["alice", "bob"]
    for name, component in tenants.items():
        assert component.parent == cluster.urn
        children = _children(homelab, component)
        assert {c.type for c in children} == KINDS and len(children) == len(KINDS)
        for child in children:
            assert name in child.name  # resource names come from the tenant's name
            assert child.provider == "kubernetes"
            meta = child.inputs["metadata"]
            assert meta.get("namespace", meta["name"]) == name or child.type.endswith("ClusterRoleBinding")


def test_namespace_comes_first_and_everything_waits_for_the_cni_and_storage(homelab):
    releases = {r.name: r for r in homelab.of_type("kubernetes:helm.sh/v3:Release")}
    calico, openebs = releases["tigera-operator"], releases["openebs-localpv"]
    for component in homelab.of_type(TENANT_TYPE):
        children = {c.type.rsplit(":", 1)[-1]: c for c in _children(homelab, component)}
        ns = children.pop("Namespace")
        assert {calico.urn, openebs.urn} <= set(ns.dependencies)
        assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] in ("baseline", "restricted")
        for kind, child in children.items():
            assert ns.urn in child.dependencies, kind
            assert calico.urn in child.dependencies, kind
        assert children["ServiceAccount"].urn in children["Secret"].dependencies


def test_the_namespace_is_retained_and_nothing_is_protected(homelab):
    for component in homelab.of_type(TENANT_TYPE):
        for child in _children(homelab, component):
            assert "protect" not in child.options  # a protected object would block removing a tenant
            if child.type == "kubernetes:core/v1:Namespace":
                assert child.options.get("retainOnDelete") is True
            else:
                assert "retainOnDelete" not in child.options


def test_retain_namespace_false_lets_the_namespace_go():
    tenants = copy.deepcopy(read_stack("homelab").namespaced()["tenants"])
    tenants[1]["retainNamespace"] = False
    rec = run_stack("homelab", {"tenants": tenants})
    ns = {r.name: r for r in rec.of_type("kubernetes:core/v1:Namespace")}
    assert ns["namespace-alice"].options.get("retainOnDelete") is True
    assert "retainOnDelete" not in ns["namespace-bob"].options


def test_the_shared_read_only_role_is_declared_once_before_the_bindings(homelab):
    [role] = [r for r in homelab.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
              if r.inputs["metadata"]["name"] == "clusterforge-tenant-read-only"]
    for binding in homelab.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"):
        if binding.inputs["roleRef"]["name"] == "clusterforge-tenant-read-only":
            assert role.urn in binding.dependencies


def test_kubeconfigs_are_one_secret_output_and_no_token_is_in_the_render(homelab):
    assert homelab.outputs["tenantKubeconfigs"] == "[secret]"
    for secret in homelab.of_type("kubernetes:core/v1:Secret"):
        assert "data" not in secret.inputs and "token" not in repr(secret.inputs.get("stringData"))


def test_stacks_without_tenants_declare_none():
    rec = run_stack("onprem")
    assert rec.of_type(TENANT_TYPE) == [] and "tenantKubeconfigs" not in rec.outputs
    assert not [r for r in rec.resources if "tenant" in r.name]


def _plan(rec):
    return render_module._plan(rec)


CAROL = ["carol", "namespace-carol", "serviceaccount-carol-carol", "secret-carol-carol-token",
         "role-carol-tenant-admin", "rolebinding-carol-tenant-admin",
         "clusterrolebinding-clusterforge-tenant-carol-read-only", "resourcequota-carol-tenant-quota",
         "limitrange-carol-tenant-limits"]


def test_adding_one_tenant_adds_only_its_resources_in_clusterforge_diff(tmp_path, capsys):
    from clusterforge.cli import main

    tenants = copy.deepcopy(read_stack("homelab").namespaced()["tenants"])
    tenants.insert(1, {"name": "carol", "quota": {"gpus": 1}})
    base = render_module.render_stack("homelab", tmp_path / "base" / "homelab").out
    head = render_module.render_stack("homelab", tmp_path / "head" / "homelab", overrides={"tenants": tenants}).out
    assert main(["diff", str(base), str(head)]) == 1  # something changes
    lines = capsys.readouterr().out.splitlines()
    # issue 24: the text prints the diff's one summary first (it was a count line last)
    assert lines[0] == f"homelab: {len(CAROL)} to add, 0 to change, 0 to replace, 0 to remove"
    assert sorted(line.split()[-1] for line in lines[1:]) == sorted(CAROL)
    assert all(line.startswith("+ ") for line in lines[1:])


def test_removing_one_tenant_removes_only_its_resources_in_diff(homelab):
    tenants = copy.deepcopy(read_stack("homelab").namespaced()["tenants"])
    after = run_stack("homelab", {"tenants": tenants[1:]})
    d = diff_plans(_plan(homelab), _plan(after))
    assert d.added == [] and d.changed == []
    assert {c.name for c in d.removed} >= {"alice", "namespace-alice"}
    assert all("alice" in c.name for c in d.removed)


def test_every_tenant_object_passes_check(crd_dir):
    report = check_stack("homelab", crd_dir)
    assert report.ok, report.text()
