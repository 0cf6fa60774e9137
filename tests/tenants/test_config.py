"""Tenant config rules (the bad-input fixtures are in tests/fixtures/invalid/tenants-*)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, read_stack
from components.config import ConfigError
from components.plan.load import load_stack_config
from components.config.tenants import Tenant, TenantLimits, TenantQuota
from components.plan.rules.tenants import tenants_findings


ONPREM = load_stack_config(read_stack("onprem").namespaced())


def _load(overrides):
    return load_stack_config(apply_overrides(read_stack("homelab"), overrides).namespaced())


def test_the_homelab_tenants_load_with_defaults():
    cfg = _load({})
    alice, bob = cfg.tenants
    assert (alice.pod_security, alice.retain_namespace, alice.quota.gpus) == ("baseline", True, 0)
    assert bob.pod_security == "restricted" and bob.limits.default_cpu_request == "250m"


def test_a_name_twice_names_the_second_entry_with_a_fix():
    with pytest.raises(ConfigError) as caught:
        _load({"tenants[1].name": "alice"})
    [finding] = caught.value.findings
    assert finding.path == "tenants[1].name" and "more than once" in finding.message and finding.fix


def test_quota_below_each_default_is_named_once_per_default():
    with pytest.raises(ConfigError) as caught:
        _load({"tenants[0].quota.memory": "128Mi"})
    messages = [str(f) for f in caught.value.findings]
    assert len(messages) == 2  # below both the default request (256Mi) and limit (1Gi)
    assert all(m.startswith("clusterforge:tenants[0].quota.memory: memory quota 128Mi") for m in messages)


def test_a_user_chart_namespace_is_taken_too():
    with pytest.raises(ConfigError) as caught:
        _load({"tenants[0].name": "reloader"})
    assert [f.path for f in caught.value.findings] == ["tenants[0].name"]
    assert "'reloader'" in caught.value.findings[0].message


def test_an_unknown_key_lists_the_allowed_ones():
    with pytest.raises(ConfigError) as caught:
        _load({"tenants[0].retain": True})
    [finding] = caught.value.findings
    assert finding.path == "tenants[0].retain" and "retainNamespace" in finding.fix


@given(st.integers(1, 64_000), st.integers(1, 64_000), st.integers(1, 64_000))
def test_a_cpu_quota_is_refused_exactly_when_a_default_is_above_it(quota_m, request_m, limit_m):
    tenant = Tenant(name="t", quota=TenantQuota(cpu=f"{quota_m}m"),
                    limits=TenantLimits(default_cpu_request=f"{request_m}m", default_cpu_limit=f"{limit_m}m"))
    paths = [f.path for f in tenants_findings(ONPREM.model_copy(update={"tenants": [tenant]}))]
    assert paths.count("tenants[0].quota.cpu") == (request_m > quota_m) + (limit_m > quota_m)
    assert ("tenants[0].limits.defaultCpuRequest" in paths) == (request_m > limit_m)



def test_groups_on_a_cluster_clusterforge_does_not_build_name_the_host_kind():
    """Dex on, but a kind or kwok API server is not ours to configure: the groups could not work."""
    cfg = load_stack_config(apply_overrides(read_stack("datalab"), {"tenants[0].groups": ["lab"]}).namespaced())
    kwok = cfg.model_copy(update={"hosts": cfg.hosts.model_copy(update={"kind": "kwok"})})
    [finding] = [f for f in tenants_findings(kwok) if f.path.endswith("groups")]
    assert finding.path == "tenants[0].groups" and "kwok cluster's API server" in finding.message
    assert "kubeadm-built" in finding.fix
    assert not [f for f in tenants_findings(cfg) if f.path.endswith("groups")]


@given(st.text(min_size=1, max_size=300))
def test_a_group_name_is_refused_exactly_when_blank_padded_unprintable_or_too_long(name):
    bad = len(name) > 256 or name[0].isspace() or name[-1].isspace() or any(ord(c) < 32 or ord(c) == 127
                                                                         for c in name)
    try:
        Tenant(name="alice", groups=[name])
    except ValueError as err:
        assert bad and "is not a group name" in str(err)
    else:
        assert not bad
