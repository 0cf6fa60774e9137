"""Config rules of the secure ingress addons beyond the invalid fixtures: the native
sidecar boundary over Kubernetes minors, and the secret config keys Dex reads."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, read_stack
from components.config import ConfigError
from components.plan.load import load_stack_config, secret_keys_needed
from components.plan.rules.ingress import NATIVE_SIDECAR_MINOR


def findings(**overrides) -> list:
    try:
        load_stack_config(apply_overrides(read_stack("homelab"), overrides).namespaced())
    except ConfigError as err:
        return err.findings
    return []


@settings(max_examples=25, deadline=None)
@given(minor=st.integers(24, 40), patch=st.integers(0, 20), native=st.booleans())
def test_native_sidecars_are_refused_exactly_below_1_29(minor, patch, native):
    found = findings(**{"kubernetes.version": f"1.{minor}.{patch}", "addons.istio.nativeSidecars": native,
                        "addons.istio.trainingExample.enabled": native})
    refused = [f for f in found if f.path == "addons.istio.nativeSidecars"]
    assert bool(refused) == (native and (1, minor) < NATIVE_SIDECAR_MINOR), [str(f) for f in found]
    for f in refused:
        assert f"Kubernetes 1.{minor} has no native sidecars" in f.message and "1.29 or later" in f.fix


def test_disabled_ingress_addons_are_not_checked():
    # 1.28 lacks native sidecars; with Istio off, only the version window speaks of it.
    found = findings(**{"addons.certManager.enabled": False, "addons.istio.enabled": False,
                        "addons.dex.enabled": False, "addons.oauth2Proxy.enabled": False,
                        "kubernetes.version": "1.28.15"})
    assert [f.path for f in found] == ["kubernetes.version"]


def test_dex_passwords_and_connector_secrets_are_secret_config():
    stack = apply_overrides(read_stack("homelab"), {"addons.dex.connectorSecrets": {"GH_SECRET": "dexGithub"}})
    needed = secret_keys_needed(load_stack_config(stack.namespaced()))
    assert needed["dexAdminPassword"] == "password of the Dex user admin@home.arpa"
    assert needed["dexGithub"] == "Dex connector secret $GH_SECRET"
