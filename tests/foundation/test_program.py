"""The real program under the mock runtime: what it registers, with which parents and edges."""
from __future__ import annotations

import pytest

from clusterforge.mockrun import run_stack
from clusterforge.stackfile import stack_names

STACK_TYPE = "pulumi:pulumi:Stack"
CLUSTER_TYPE = "clusterforge:index:Cluster"


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_builds_one_cluster_under_the_stack(stack):
    rec = run_stack(stack)
    [root] = rec.of_type(STACK_TYPE)
    [cluster] = rec.of_type(CLUSTER_TYPE)
    assert cluster.parent == root.urn
    assert cluster.name == rec.config.namespaced()["cluster"]["name"]
    # Every other resource hangs below the cluster component.
    for reg in rec.resources:
        if reg.type not in (STACK_TYPE, CLUSTER_TYPE):
            assert reg.parent, reg.urn
    assert rec.outputs["kubeconfig"] == "[secret]"


def test_kubernetes_provider_has_a_stable_identifier():
    rec = run_stack("onprem")
    [provider] = rec.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["clusterIdentifier"] == "clusterforge-onprem"
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.parent == rec.of_type(CLUSTER_TYPE)[0].urn


def test_secret_values_never_appear_in_the_recording():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    # A real key: the program checks the secret is one before it uses it.
    marker = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
    from clusterforge import mockrun
    from clusterforge.stackfile import prepare_offline, read_stack

    stack = read_stack("onprem")
    stack.values["clusterforge:sshPrivateKey"] = marker
    stack.secret_keys.add("clusterforge:sshPrivateKey")
    prepare_offline(stack)
    rec = mockrun.run_prepared(stack)
    text = repr([r.inputs for r in rec.resources]) + repr(rec.outputs) + repr(rec.logs)
    assert marker not in text and marker.splitlines()[2] not in text


def test_tenants_are_built_not_warned_about():
    # Issue 16 builds the tenants; until then this test asserted a "not built yet" warning.
    rec = run_stack("homelab")
    warnings = [m for level, m in rec.logs if level == "warning"]
    assert not any("clusterforge:tenants" in m for m in warnings)
    assert rec.of_type("clusterforge:tenants:Tenant")


def test_overrides_reach_the_program():
    rec = run_stack("onprem", {"cluster.name": "dc2"})
    assert rec.of_type(CLUSTER_TYPE)[0].name == "dc2"
