"""The data-platform addons as pure specs: JupyterHub's sign-in, storage and profiles, Dex's
client for it, the Spark operator's namespaces and driver accounts, Kubeflow Trainer."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.plan.addons import jupyterhub, spark_operator, training_operator
from components.plan.addons import catalog
from components.plan.addons.dex import dex_config
from components.plan.addons.ingress_inputs import PLANNED, planned_inputs
from components.config.tenants import Tenant
from components.plan.tenants import TENANT_LABEL, tenant_plans


@pytest.fixture(scope="module")
def cfg():
    return prepare_offline(read_stack("datalab"))[0]


@pytest.fixture(scope="module")
def specs(cfg):
    return catalog.all_addons(cfg)


def test_datalab_installs_the_data_platform_at_pinned_versions(specs):
    want = {"jupyterhub": ("jupyterhub", "4.4.0", "https://hub.jupyter.org/helm-chart/"),
            "sparkOperator": ("spark-operator", "2.5.2", "https://kubeflow.github.io/spark-operator"),
            "trainingOperator": ("kubeflow-trainer", "2.2.1", "oci://ghcr.io/kubeflow/charts")}
    for key, (chart, version, repository) in want.items():
        assert (specs[key].chart, specs[key].version, specs[key].repository) == (chart, version, repository)
    assert catalog.chart_reference(specs["trainingOperator"]) == ("oci://ghcr.io/kubeflow/charts/kubeflow-trainer",
                                                                 None)


def test_jupyterhub_signs_in_through_dex_over_the_gateway(cfg, specs):
    hub = specs["jupyterhub"].values["hub"]
    assert hub["baseUrl"] == "/jupyter/"
    assert hub["config"]["JupyterHub"]["authenticator_class"] == "generic-oauth"
    oauth = hub["config"]["GenericOAuthenticator"]
    issuer = "https://192.168.10.200/dex"
    assert (oauth["authorize_url"], oauth["token_url"], oauth["userdata_url"]) == (
        f"{issuer}/auth", f"{issuer}/token", f"{issuer}/userinfo")
    assert oauth["client_id"] == "jupyterhub"
    assert oauth["oauth_callback_url"] == "https://192.168.10.200/jupyter/hub/oauth_callback"
    assert oauth["http_request_kwargs"] == {"ca_certs": "/etc/clusterforge-ca/ca.crt"}
    assert oauth["allow_all"] is True and oauth["admin_users"] == ["admin@home.arpa"]
    assert "client_secret" not in oauth  # from the environment, out of our Secret
    assert hub["extraEnv"]["OAUTH_CLIENT_SECRET"] == {
        "valueFrom": {"secretKeyRef": {"name": "jupyterhub-oauth", "key": "client-secret"}}}
    [secret] = [o for o in specs["jupyterhub"].prerequisites if o["kind"] == "Secret"]
    assert secret["stringData"] == {"client-secret": PLANNED}
    # Only the gateway reaches the hub.
    assert specs["jupyterhub"].values["proxy"]["service"]["type"] == "ClusterIP"
    assert set(specs["jupyterhub"].depends_on) >= {"dex", "istioGateway"}


def test_listed_users_replace_allow_all(cfg):
    narrowed = cfg.model_copy(update={"addons": cfg.addons.model_copy(update={
        "jupyterhub": cfg.addons.jupyterhub.model_copy(update={"allowed_users": ["alice@home.arpa"]})})})
    oauth = jupyterhub.authenticator(narrowed)
    assert oauth["allowed_users"] == ["alice@home.arpa"] and "allow_all" not in oauth


def test_the_hub_is_routed_under_its_prefix_without_the_login_token(specs):
    [route] = specs["jupyterhub"].objects
    [http] = route["spec"]["http"]
    assert http["match"] == [{"uri": {"prefix": "/jupyter/"}}]
    assert "rewrite" not in http  # the hub serves under its baseUrl itself
    assert http["headers"] == {"request": {"remove": ["authorization"]}}
    assert http["route"][0]["destination"]["host"] == "proxy-public.jupyterhub.svc.cluster.local"


def test_dex_has_a_client_of_its_own_for_the_hub(cfg, specs):
    clients = {c["id"]: c for c in dex_config(cfg)["staticClients"]}
    assert clients["jupyterhub"] == {"id": "jupyterhub", "name": "JupyterHub",
                                     "secretEnv": jupyterhub.HUB_CLIENT_SECRET_ENV,
                                     "redirectURIs": ["https://192.168.10.200/jupyter/hub/oauth_callback"]}
    [secret] = specs["dex"].prerequisites
    assert secret["stringData"][jupyterhub.HUB_CLIENT_SECRET_ENV] is PLANNED


def test_without_jupyterhub_dex_has_no_hub_client():
    homelab = prepare_offline(read_stack("homelab"))[0]
    # The login's client and kubectl's (SSO: Dex on a kubeadm-built cluster), no hub.
    assert [c["id"] for c in dex_config(homelab)["staticClients"]] == ["oauth2-proxy", "kubernetes"]
    assert planned_inputs(homelab).jupyterhub_client_secret is None
    [secret] = catalog.all_addons(homelab)["dex"].prerequisites
    assert jupyterhub.HUB_CLIENT_SECRET_ENV not in secret["stringData"]


def test_each_user_gets_a_volume_from_the_default_storage_class(specs):
    storage = specs["jupyterhub"].values["singleuser"]["storage"]
    assert storage == {"type": "dynamic", "capacity": "20Gi"}  # no storageClass: the default one


def test_a_cpu_and_a_gpu_profile(specs):
    cpu, gpu = specs["jupyterhub"].values["singleuser"]["profileList"]
    assert (cpu["slug"], cpu["default"], gpu["slug"], gpu["default"]) == ("cpu", True, "gpu", False)
    assert cpu["kubespawner_override"] == {"cpu_guarantee": 0.5, "cpu_limit": 2.0,
                                           "mem_guarantee": 2 * 2**30, "mem_limit": 4 * 2**30}
    over = gpu["kubespawner_override"]
    assert over["extra_resource_guarantees"] == over["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert over["node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert not any("nvidia" in key for key in cpu["kubespawner_override"])


def test_gpu_profile_tolerates_the_gpu_hosts_taints():
    cfg = prepare_offline(apply_overrides(read_stack("datalab"), {
        "hosts.overrides.worker-3.gpus": 1, "hosts.pools[1].taints": [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]}))[0]
    [_, gpu] = jupyterhub.profiles(cfg)
    assert gpu["kubespawner_override"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_spark_watches_the_tenant_labelled_namespaces_with_our_accounts(cfg, specs):
    spark = specs["sparkOperator"].values["spark"]
    # No list of tenants (the chart's default list is `default`): the label selects them.
    assert spark["jobNamespaces"] == [] and spark["jobNamespaceSelector"] == TENANT_LABEL
    assert spark["serviceAccount"] == {"create": False, "name": "spark"}
    assert spark["rbac"] == {"create": False}
    assert set(specs["sparkOperator"].depends_on) >= {"calico", "openebs"}


class _Cfg:
    def __init__(self, cfg, tenants):
        self.addons, self.tenants = cfg.addons, tenants


@settings(max_examples=25, deadline=None)
@given(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,12}", fullmatch=True), min_size=1, max_size=6, unique=True))
def test_driver_accounts_stay_inside_their_tenants_namespace(cfg, names):
    for name in names:
        objects = spark_operator.tenant_objects(cfg, name)
        assert [o["kind"] for o in objects] == ["ServiceAccount", "Role", "RoleBinding"]
        assert {o["metadata"]["namespace"] for o in objects} == {name}
        account, role, binding = objects
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "spark", "namespace": name}]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": role["metadata"]["name"]}
        # Core objects the driver handles, nothing else (no Secrets, no RBAC, no other groups).
        [rule] = role["rules"]
        assert rule["apiGroups"] == [""]
        assert set(rule["resources"]) == {"pods", "services", "configmaps", "persistentvolumeclaims"}
        assert "*" not in rule["verbs"]
    # Every tenant namespace carries the label the operator selects on.
    spec = spark_operator.spark_operator(_Cfg(cfg, [Tenant(name=n) for n in names]))
    selector = spec.values["spark"]["jobNamespaceSelector"]
    for plan in tenant_plans(_Cfg(cfg, [Tenant(name=n) for n in names])):
        assert selector in plan.namespace["metadata"]["labels"], plan.name


def test_no_driver_accounts_with_spark_off():
    homelab = prepare_offline(read_stack("homelab"))[0]
    assert spark_operator.tenant_objects(homelab, "alice") == ()


def test_trainer_brings_the_pytorch_runtime(specs):
    spec = specs["trainingOperator"]
    assert spec.values == {"runtimes": {"torchDistributed": {"enabled": True}}}
    assert spec.namespace == "kubeflow-system" and training_operator.TORCH_RUNTIME == "torch-distributed"
    assert "sparkOperator" not in spec.depends_on


def test_user_values_merge_over_ours(cfg):
    changed = prepare_offline(apply_overrides(read_stack("datalab"), {
        "addons.jupyterhub.values": {"singleuser": {"storage": {"capacity": "5Gi"}}},
        "addons.sparkOperator.values": {"controller": {"replicas": 2}}}))[0]
    specs = catalog.all_addons(changed)
    assert specs["jupyterhub"].values["singleuser"]["storage"] == {"type": "dynamic", "capacity": "5Gi"}
    assert specs["sparkOperator"].values["controller"] == {"replicas": 2}
    assert specs["sparkOperator"].values["spark"]["jobNamespaceSelector"] == TENANT_LABEL


def test_the_gpu_profile_follows_the_device_plugin_unless_set():
    no_gpus = prepare_offline(apply_overrides(read_stack("datalab"), {"hosts.overrides.worker-3.gpus": 0}))[0]
    assert [p["slug"] for p in jupyterhub.profiles(no_gpus)] == ["cpu"]
    gpu_only = prepare_offline(apply_overrides(read_stack("datalab"), {
        "addons.jupyterhub.profiles.cpu.enabled": False}))[0]
    [only] = jupyterhub.profiles(gpu_only)
    assert (only["slug"], only["default"]) == ("gpu", True)
