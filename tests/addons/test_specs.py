"""Addon specs from config (pure): charts, pinned versions, values, objects."""
from __future__ import annotations

import pytest

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from clusterforge.validate import CrdSchemas, validate_object
from components.plan.addons.catalog import all_addons, crd_sources, enabled_core_addons
from components.plan.addons.dashboard import AGGREGATE_LABEL
from components.plan.addons.spec import merge_values
from components.config import ConfigError
from components.plan.load import load_stack_config


def config(stack="homelab", **overrides):
    cfg, _ = prepare_offline(apply_overrides(read_stack(stack), overrides))
    return cfg


def test_homelab_installs_the_core_set_in_stage_order():
    specs = enabled_core_addons(config())
    assert list(specs) == ["calico", "openebs", "metallb", "certManager", "istioBase", "dashboard", "istiod",
                           "prometheus", "istioGateway", "dex", "oauth2Proxy"]
    assert {k: (s.chart, s.version) for k, s in specs.items()} == {
        "calico": ("tigera-operator", "v3.30.3"),
        "openebs": ("localpv-provisioner", "4.3.0"),
        "metallb": ("metallb", "0.15.2"),
        "certManager": ("cert-manager", "v1.19.4"),
        "istioBase": ("base", "1.29.9"),
        "dashboard": ("headlamp", "0.37.0"),
        "istiod": ("istiod", "1.29.9"),
        "prometheus": ("kube-prometheus-stack", "77.6.2"),
        "istioGateway": ("gateway", "1.29.9"),
        "dex": ("dex", "0.24.0"),
        "oauth2Proxy": ("oauth2-proxy", "10.7.0"),
    }
    assert specs["calico"].depends_on == ()
    assert specs["openebs"].depends_on == specs["metallb"].depends_on == ("calico",)
    # Grafana is exposed through the gateway, so it waits for istiod's sidecar injector.
    assert specs["prometheus"].depends_on == ("calico", "openebs", "metallb", "certManager", "istioBase", "istiod")


def test_calico_installation_follows_config():
    cfg = config(**{"addons.calico.mtu": 1450, "addons.calico.apiServer": True})
    calico = enabled_core_addons(cfg)["calico"]
    installation, api_server = calico.objects
    assert installation["kind"] == "Installation" and api_server["kind"] == "APIServer"
    network = installation["spec"]["calicoNetwork"]
    assert network["mtu"] == 1450 and network["bgp"] == "Disabled"
    [pool] = network["ipPools"]
    assert (pool["cidr"], pool["encapsulation"]) == ("10.244.0.0/16", "VXLANCrossSubnet")
    assert calico.values["installation"] == {"enabled": False}  # ours, not the chart's


def test_openebs_hostpath_class_is_default_and_waits_for_consumer():
    [sc] = enabled_core_addons(config(**{"addons.openebs.basePath": "/srv/pv"}))["openebs"].objects
    assert sc["provisioner"] == "openebs.io/local"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert "value: /srv/pv" in sc["metadata"]["annotations"]["cas.openebs.io/config"]


def test_metallb_pool_l2_and_privileged_namespace():
    spec = enabled_core_addons(config())["metallb"]
    pool, advert = spec.objects
    assert pool["spec"]["addresses"] == ["192.168.10.200-192.168.10.220"]
    assert advert["spec"]["ipAddressPools"] == [pool["metadata"]["name"]]
    assert spec.namespace_labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert not any(o["kind"] == "ConfigMap" for o in spec.objects)


def test_dashboard_account_reads_only():
    spec = enabled_core_addons(config())["dashboard"]
    roles = [o for o in spec.objects if o["kind"] == "ClusterRole"]
    verbs = {v for role in roles for rule in role.get("rules", []) for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}
    resources = {r for role in roles for rule in role.get("rules", []) for r in rule["resources"]}
    assert resources == {"nodes", "namespaces", "persistentvolumes", "storageclasses"}
    [aggregated] = [r for r in roles if "aggregationRule" in r]
    selectors = [s["matchLabels"] for s in aggregated["aggregationRule"]["clusterRoleSelectors"]]
    assert {"rbac.authorization.k8s.io/aggregate-to-view": "true"} in selectors
    assert {AGGREGATE_LABEL: "true"} in selectors
    assert spec.values["clusterRoleBinding"] == {"create": False}  # no cluster-admin
    kinds = {o["kind"] for o in spec.objects}
    assert "Secret" not in kinds  # sign-in by short-lived token only
    [binding] = [o for o in spec.objects if o["kind"] == "ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == aggregated["metadata"]["name"]


def test_prometheus_webhooks_follow_cert_manager():
    off = enabled_core_addons(config("onprem"))["prometheus"].values["prometheusOperator"]
    assert off["admissionWebhooks"] == {"enabled": False, "patch": {"enabled": False}}
    on = enabled_core_addons(config(**{"addons.certManager": {"enabled": True, "version": "v1.19.4"}}))
    assert on["prometheus"].values["prometheusOperator"]["admissionWebhooks"]["certManager"]["enabled"] is True
    storage = on["prometheus"].values["prometheus"]["prometheusSpec"]["storageSpec"]
    claim = storage["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "50Gi" and "storageClassName" not in claim


def test_gpu_plugin_follows_hosts_with_gpus():
    assert "nvidiaDevicePlugin" not in enabled_core_addons(config())
    onprem = enabled_core_addons(config("onprem"))["nvidiaDevicePlugin"]
    assert onprem.values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists",
                                             "effect": "NoSchedule"}]
    off = config("onprem", **{"addons.nvidiaDevicePlugin.enabled": False})
    assert "nvidiaDevicePlugin" not in enabled_core_addons(off)


def test_user_values_merge_over_ours_and_yaml_strings_are_accepted():
    assert merge_values({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}
    cfg = config(**{"addons.prometheus.values": "grafana:\n  enabled: false\n"})
    values = enabled_core_addons(cfg)["prometheus"].values
    assert values["grafana"]["enabled"] is False and values["grafana"]["sidecar"]["dashboards"]["enabled"]


def test_user_charts_come_after_core_and_their_dependencies():
    specs = all_addons(config())
    reloader = specs["reloader"]
    assert (reloader.repository, reloader.version) == ("https://stakater.github.io/stakater-charts", "2.2.3")
    assert set(reloader.depends_on) == {"calico", "openebs", "metallb", "certManager", "istioBase", "dashboard",
                                        "istiod", "prometheus", "istioGateway", "dex", "oauth2Proxy"}


def test_crd_sources_are_pinned_to_the_chart_versions():
    sources = dict(crd_sources(config()))
    assert sources["calico-operator-crds-v3.30.3.yaml"].endswith("/v3.30.3/manifests/operator-crds.yaml")
    assert "/v0.15.2/" in sources["metallb-native-v0.15.2.yaml"]


@pytest.mark.parametrize("stack", ["homelab", "onprem", "cloud"])
def test_every_addon_object_passes_the_schemas(stack, crd_dir):
    cfg = config(stack)
    crds = CrdSchemas(crd_dir)
    for spec in all_addons(cfg).values():
        for obj in spec.objects:
            assert validate_object(obj, cfg.kubernetes.version, crds) == [], obj


def test_values_must_be_a_mapping():
    stack = apply_overrides(read_stack("homelab"), {"addons.dashboard.values": "- a\n- b\n"})
    with pytest.raises(ConfigError) as caught:
        load_stack_config(stack.namespaced())
    assert [f.path for f in caught.value.findings] == ["addons.dashboard.values"]
