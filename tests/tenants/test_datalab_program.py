"""The datalab stack under the mock runtime: the data-platform releases, their edges
(JupyterHub after Dex and the gateway, the Spark operator and each tenant's driver account
after the tenants' namespaces), secrets, check, and what adding a tenant changes."""
from __future__ import annotations

import copy

import pytest

from clusterforge import render as render_module
from clusterforge.check import check_stack
from clusterforge.mockrun import SECRET_TEXT, run_stack
from clusterforge.stackfile import read_stack
from tests.addons.test_ingress_graph import after, obj, release

TENANT_TYPE = "clusterforge:tenants:Tenant"
ADDON_TYPE = "clusterforge:addons:HelmAddon"


@pytest.fixture(scope="module")
def datalab():
    return run_stack("datalab")


def _namespace(rec, name):
    return obj(rec, "Namespace", name)


def test_releases_are_registered_with_their_pinned_charts(datalab):
    for name, chart, version, namespace in (("jupyterhub", "jupyterhub", "4.4.0", "jupyterhub"),
                                            ("spark-operator", "spark-operator", "2.5.2", "spark-operator"),
                                            ("kubeflow-trainer", "oci://ghcr.io/kubeflow/charts/kubeflow-trainer", "2.2.1",
                                             "kubeflow-system")):
        r = release(datalab, name)
        assert (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"]) == (chart, version, namespace)
        # Each after its own namespace, which the addon declares.
        assert _namespace(datalab, namespace).urn in r.dependencies
    assert "repositoryOpts" not in release(datalab, "kubeflow-trainer").inputs  # OCI: the chart names it
    assert release(datalab, "spark-operator").inputs["values"]["spark"]["jobNamespaces"] == []


def test_jupyterhub_waits_for_dex_the_gateway_and_its_own_secrets(datalab):
    hub = release(datalab, "jupyterhub")
    waits = after(datalab, hub)
    for name in ("dex", "istio-ingressgateway", "openebs-localpv"):
        assert release(datalab, name).urn in waits, name
    assert obj(datalab, "Secret", "jupyterhub-oauth", "jupyterhub").urn in hub.dependencies
    assert obj(datalab, "ConfigMap", "clusterforge-ca", "jupyterhub").urn in hub.dependencies
    # Its route only after the release (and so after the gateway's login policy).
    route = obj(datalab, "VirtualService", "jupyterhub", "jupyterhub")
    assert hub.urn in route.dependencies
    assert obj(datalab, "AuthorizationPolicy", "oauth2-proxy").urn in after(datalab, route)


def test_the_hub_client_secret_is_generated_and_stays_secret(datalab):
    [password] = [r for r in datalab.of_type("random:index/randomPassword:RandomPassword")
                  if r.name == "jupyterhub-client-secret"]
    assert password.inputs["length"] == 32
    assert obj(datalab, "Secret", "jupyterhub-oauth", "jupyterhub").inputs["stringData"] == SECRET_TEXT
    assert obj(datalab, "Secret", "dex-secrets", "auth").inputs["stringData"] == SECRET_TEXT
    assert SECRET_TEXT not in repr(release(datalab, "jupyterhub").inputs["values"]["hub"]["config"])


def test_the_spark_operator_and_the_tenants_do_not_wait_for_each_other(datalab):
    """The operator finds tenant namespaces by label as they come: neither side waits."""
    spark = release(datalab, "spark-operator")
    for tenant in ("alice", "bob"):
        ns = _namespace(datalab, tenant)
        assert ns.urn not in after(datalab, spark), tenant
        assert spark.urn not in after(datalab, ns), tenant
        # The tenants wait for the CNI and storage only.
        assert release(datalab, "tigera-operator").urn in ns.dependencies


def test_each_tenant_owns_its_driver_account_after_its_namespace(datalab):
    tenants = {t.name: t for t in datalab.of_type(TENANT_TYPE)}
    for name, component in tenants.items():
        ns = _namespace(datalab, name)
        for kind, object_name in (("ServiceAccount", "spark"), ("Role", "spark-driver"),
                                  ("RoleBinding", "spark-driver")):
            r = obj(datalab, kind, object_name, name)
            assert r.parent == component.urn, (name, kind)
            assert ns.urn in r.dependencies, (name, kind)
            # Never waiting on another tenant: adding one leaves the others' edges alone.
            other = _namespace(datalab, "bob" if name == "alice" else "alice")
            assert other.urn not in after(datalab, r), (name, kind)


def test_trainer_waits_for_neither_spark_nor_the_tenants(datalab):
    trainer, spark = release(datalab, "kubeflow-trainer"), release(datalab, "spark-operator")
    assert [a for a in datalab.of_type(ADDON_TYPE) if a.name == "trainingOperator"]
    assert spark.urn not in after(datalab, trainer)
    assert not any(_namespace(datalab, t).urn in after(datalab, trainer) for t in ("alice", "bob"))


def test_stacks_without_spark_give_tenants_no_driver_account():
    rec = run_stack("homelab")
    assert not [r for r in rec.resources if r.name.endswith("spark-driver") or r.name.endswith("-spark")]


def test_every_datalab_object_passes_check(crd_dir):
    report = check_stack("datalab", crd_dir)
    assert report.ok, report.text()


CAROL = ["carol", "namespace-carol", "serviceaccount-carol-carol", "secret-carol-carol-token",
         "role-carol-tenant-admin", "rolebinding-carol-tenant-admin",
         "clusterrolebinding-clusterforge-tenant-carol-read-only", "resourcequota-carol-tenant-quota",
         "limitrange-carol-tenant-limits",
         "serviceaccount-carol-spark", "role-carol-spark-driver", "rolebinding-carol-spark-driver"]


def test_adding_one_tenant_adds_only_its_resources_in_clusterforge_diff(tmp_path, capsys):
    from clusterforge.cli import main

    tenants = copy.deepcopy(read_stack("datalab").namespaced()["tenants"])
    tenants.insert(1, {"name": "carol", "quota": {"gpus": 1}})
    base = render_module.render_stack("datalab", tmp_path / "base" / "datalab").out
    head = render_module.render_stack("datalab", tmp_path / "head" / "datalab", overrides={"tenants": tenants}).out
    assert main(["diff", str(base), str(head)]) == 1
    lines = capsys.readouterr().out.splitlines()
    added = sorted(line.split()[-1] for line in lines if line.startswith("+ "))
    assert added == sorted(CAROL)
    assert not [line for line in lines if line.startswith(("- ", "~ "))], lines
    # issue 24: the text prints the diff's one summary first (it was a count line last)
    assert lines[0] == f"datalab: {len(CAROL)} to add, 0 to change, 0 to replace, 0 to remove", lines
