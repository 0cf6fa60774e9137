"""No secret inside Helm values (Grafana's password is a Secret the chart names), and
Calico's CRDs applied from the pinned manifest as resources of their own."""
from __future__ import annotations

import json

import pulumi
import pytest

from clusterforge.mockrun import SECRET_TEXT, run_stack
from clusterforge.validate import CrdSchemas, validate_object
from components.addons.crds import CRD_TYPE, PATCH_FORCE, take_over_crd
from components.plan.addons.prometheus import grafana_admin_secret

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


def _release(rec, name):
    [release] = [r for r in rec.of_type(RELEASE) if r.name == name]
    return release


@pytest.mark.parametrize("stack", ["homelab", "onprem", "emulated"])
def test_no_release_carries_a_secret_in_its_values(stack):
    # One secret anywhere in the values makes the engine hide the whole values map.
    for release in run_stack(stack).of_type(RELEASE):
        assert SECRET_TEXT not in json.dumps(release.inputs["values"]), release.name


def test_grafana_reads_its_admin_login_from_a_secret_declared_before_the_release(homelab):
    release = _release(homelab, "kube-prometheus-stack")
    admin = release.inputs["values"]["grafana"]["admin"]
    [secret] = [r for r in homelab.of_type(SECRET) if r.inputs["metadata"]["name"] == admin["existingSecret"]]
    assert secret.inputs["metadata"]["namespace"] == "monitoring"
    assert (admin["userKey"], admin["passwordKey"]) == ("admin-user", "admin-password")
    assert secret.inputs["stringData"] == SECRET_TEXT     # pulumi-kubernetes keeps Secret data secret
    assert secret.urn in release.dependencies
    [namespace] = [r for r in homelab.of_type("kubernetes:core/v1:Namespace") if r.name == "monitoring"]
    assert namespace.urn in secret.dependencies
    # Generated once, not shared with the other generated secrets (the login's).
    [password] = [r for r in homelab.of_type("random:index/randomPassword:RandomPassword") if r.name == "grafana-admin"]
    assert password.urn.endswith("::grafana-admin")


def test_the_password_may_come_from_secret_config_and_then_none_is_generated():
    rec = run_stack("homelab", {"addons.prometheus.adminPasswordSecret": "grafanaAdminPassword"})
    assert "grafana-admin" not in {r.name for r in rec.of_type("random:index/randomPassword:RandomPassword")}
    [secret] = [r for r in rec.of_type(SECRET) if r.inputs["metadata"]["name"] == "grafana-admin"]
    assert secret.inputs["stringData"] == SECRET_TEXT
    # Unset offline, it is a placeholder and the render says `pulumi up` needs it.
    assert "grafanaAdminPassword" in {k.split(":", 1)[1] for k in rec.config.secret_keys}


def test_the_grafana_secret_passes_the_schema_with_the_keys_the_chart_reads(crd_dir):
    secret = grafana_admin_secret("monitoring", "placeholder")
    assert validate_object(secret, "1.36.2", CrdSchemas(crd_dir)) == []
    assert set(secret["stringData"]) == {"admin-user", "admin-password"}


def test_calico_crds_are_applied_from_the_pinned_manifest_before_the_release(homelab):
    release = _release(homelab, "tigera-operator")
    [crds] = homelab.of_type(CONFIG_FILE)
    assert crds.inputs["file"] == ("https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/"
                                   "manifests/operator-crds.yaml")
    assert crds.urn in release.dependencies
    assert release.inputs["skipCrds"] is True          # Helm installs crds/ once, never upgrades
    assert crds.options["transforms"] == 1
    bumped = run_stack("homelab", {"addons.calico.version": "v3.31.0"}).of_type(CONFIG_FILE)[0]
    assert "/v3.31.0/manifests/" in bumped.inputs["file"]
    # Only Calico ships CRDs in crds/ here; every other release keeps Helm's default.
    for other in homelab.of_type(RELEASE):
        if other.name != "tigera-operator":
            assert not other.inputs.get("skipCrds"), other.name


def test_the_crd_transform_forces_the_apply_and_keeps_crds_on_delete(homelab):
    [crds] = homelab.of_type(CONFIG_FILE)
    [transform] = crds.transforms
    assert transform is take_over_crd
    props = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "installations.operator.tigera.io", "annotations": {"a": "b"}}, "spec": {}}
    result = transform(pulumi.ResourceTransformArgs(True, CRD_TYPE, "crd", props, pulumi.ResourceOptions()))
    assert result.props["metadata"]["annotations"] == {"a": "b", PATCH_FORCE: "true"}
    assert result.opts.retain_on_delete is True
    assert props["metadata"]["annotations"] == {"a": "b"}   # the input is left alone
    other = pulumi.ResourceTransformArgs(True, "kubernetes:core/v1:ConfigMap", "cm", {}, pulumi.ResourceOptions())
    assert transform(other) is None
