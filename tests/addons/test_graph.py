"""The addon graph under the mock runtime, and as a property over random addon subsets."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterforge.mockrun import run_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.plan.addons.catalog import addon_graph

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


def test_each_release_is_pinned_with_its_values(homelab):
    releases = {r.name: r for r in homelab.of_type(RELEASE)}
    assert sorted(releases) == ["cert-manager", "dex", "headlamp", "istio-base", "istio-ingressgateway", "istiod",
                                "kube-prometheus-stack", "metallb", "oauth2-proxy", "openebs-localpv",
                                "reloader", "tigera-operator"]
    calico = releases["tigera-operator"].inputs
    assert (calico["chart"], calico["version"], calico["namespace"]) == ("tigera-operator", "v3.30.3",
                                                                         "tigera-operator")
    assert calico["repositoryOpts"] == {"repo": "https://docs.tigera.io/calico/charts"}
    assert calico["values"]["installation"] == {"enabled": False}
    assert calico["atomic"] is True and calico["createNamespace"] is False
    grafana = releases["kube-prometheus-stack"].inputs["values"]["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin" and "adminPassword" not in grafana


def test_every_addon_depends_on_the_cni(homelab):
    [calico] = [r for r in homelab.of_type(RELEASE) if r.name == "tigera-operator"]
    installation = next(r for r in homelab.resources if r.name == "installation-default")
    for release in homelab.of_type(RELEASE):
        if release.name != "tigera-operator":
            assert {calico.urn, installation.urn} <= set(release.dependencies), release.name


def test_custom_resources_depend_on_their_release(homelab):
    release_of = {"installation-default": "tigera-operator",
                  "ipaddresspool-metallb-system-default": "metallb",
                  "l2advertisement-metallb-system-default": "metallb",
                  "storageclass-openebs-hostpath": "openebs-localpv"}
    for name, release in release_of.items():
        obj = next(r for r in homelab.resources if r.name == name)
        [rel] = [r for r in homelab.of_type(RELEASE) if r.name == release]
        assert rel.urn in obj.dependencies, name
    pool = next(r for r in homelab.resources if r.name == "ipaddresspool-metallb-system-default")
    assert pool.type == "kubernetes:metallb.io/v1beta1:IPAddressPool"
    assert pool.inputs["spec"]["addresses"] == ["192.168.10.200-192.168.10.220"]


def test_addons_wait_for_the_cluster(homelab):
    calico_ns = next(r for r in homelab.resources if r.type == "kubernetes:core/v1:Namespace"
                     and r.name == "tigera-operator")
    # The cluster is reachable once the kubeconfig phase (after prepare, init, join) ran.
    [kubeconfig] = [r for r in homelab.of_type("command:local:Command") if r.name.endswith("kubeconfig")]
    assert kubeconfig.urn in calico_ns.dependencies


def test_releases_use_the_cluster_provider(homelab):
    for release in homelab.of_type(RELEASE):
        assert release.provider == "kubernetes"


CORE = ["calico", "openebs", "metallb", "dashboard", "prometheus", "certManager", "istio", "dex", "oauth2Proxy"]
# An ingress addon needs the one before it; Istio is three charts.
NEEDS = {"oauth2Proxy": "dex", "dex": "istio", "istio": "certManager"}
CHARTS = {"istio": {"istioBase", "istiod", "istioGateway"}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enabled=st.sets(st.sampled_from(CORE + ["nvidiaDevicePlugin"])),
       charts=st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3),
       links=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=4))
def test_graph_is_acyclic_and_never_points_at_disabled_addons(enabled, charts, links):
    for key in ("oauth2Proxy", "dex", "istio"):
        if key in enabled:
            enabled = enabled | {NEEDS[key]}
    overrides = {f"addons.{k}.enabled": (k in enabled) for k in CORE + ["nvidiaDevicePlugin"]}
    overrides["addons.istio.gateway.exposeGrafana"] = {"prometheus", "oauth2Proxy"} <= enabled
    user = []
    for i, name in enumerate(charts):
        # A chart may depend on an earlier chart (never a later one: no cycles by construction).
        deps = sorted({charts[j] for (src, j) in links if src == i and j < i})
        user.append({"name": name, "namespace": "apps", "repository": "https://charts.example.org",
                     "chart": name, "version": "1.0.0", "dependsOn": deps})
    overrides["addons.charts"] = user
    cfg, _ = prepare_offline(apply_overrides(read_stack("homelab"), overrides))
    graph = addon_graph(cfg)
    assert set(graph) == {c for k in enabled for c in CHARTS.get(k, {k})} | set(charts)
    for node, deps in graph.items():
        assert deps <= set(graph), (node, deps)
    # Kahn's algorithm empties the graph only when it has no cycle.
    remaining = {k: set(v) for k, v in graph.items()}
    while remaining:
        ready = [k for k, v in remaining.items() if not v]
        assert ready, f"cycle among {sorted(remaining)}"
        for k in ready:
            del remaining[k]
        for v in remaining.values():
            v.difference_update(ready)
    if "calico" in enabled:
        assert all("calico" in deps for node, deps in graph.items() if node != "calico")
