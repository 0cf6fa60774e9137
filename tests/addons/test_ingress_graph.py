"""The secure ingress stack under the mock runtime: resources, inputs and the edges that
make it safe to apply (CRs after their CRDs, the gateway after MetalLB, policies after the
mesh config that names their provider, routes only after the policies)."""
from __future__ import annotations

import json

import pytest

from clusterforge.mockrun import SECRET_TEXT, UNKNOWN_TEXT, run_stack

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


@pytest.fixture(scope="module")
def gateway_api():
    return run_stack("homelab", {"addons.istio.gateway.api": "gateway-api", "addons.istio.strictMtls": True})


def release(rec, name):
    [r] = [r for r in rec.of_type(RELEASE) if r.name == name]
    return r


def obj(rec, kind, name, namespace=None):
    [r] = [r for r in rec.resources if r.type.endswith(f":{kind}") and r.inputs.get("metadata", {}).get("name") == name
           and (namespace is None or r.inputs["metadata"].get("namespace") == namespace)]
    return r


def after(rec, resource) -> set[str]:
    """Every URN `resource` waits for, directly or through what it depends on."""
    seen, todo = set(), list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo += rec.by_urn(urn).dependencies
    return seen


def test_custom_resources_wait_for_cert_manager_and_istio(homelab):
    cert_manager, base, istiod = (release(homelab, n).urn for n in ("cert-manager", "istio-base", "istiod"))
    for kind, name in (("ClusterIssuer", "clusterforge-ca"), ("Certificate", "clusterforge")):
        assert cert_manager in after(homelab, obj(homelab, kind, name)), name
    for kind, name in (("Gateway", "clusterforge"), ("VirtualService", "dex"), ("VirtualService", "grafana"),
                       ("AuthorizationPolicy", "oauth2-proxy"), ("RequestAuthentication", "dex-jwt")):
        assert {base, istiod} <= after(homelab, obj(homelab, kind, name)), name
    # The gateway's certificate needs the CA issuer, not just its CRD.
    assert obj(homelab, "ClusterIssuer", "clusterforge-ca").urn in after(homelab, obj(homelab, "Certificate",
                                                                                     "clusterforge"))


def test_gateway_waits_for_metallb_and_istiod(homelab):
    gateway = release(homelab, "istio-ingressgateway")
    pool = obj(homelab, "IPAddressPool", "default")
    assert {release(homelab, "metallb").urn, pool.urn, release(homelab, "istiod").urn} <= set(gateway.dependencies)
    assert gateway.inputs["values"]["service"]["annotations"] == {"metallb.io/loadBalancerIPs": "192.168.10.200"}


def test_policies_come_after_the_mesh_config_that_names_their_provider(homelab):
    istiod = release(homelab, "istiod")
    providers = {p["name"] for p in istiod.inputs["values"]["meshConfig"]["extensionProviders"]}
    for name in ("oauth2-proxy", "require-jwt"):
        policy = obj(homelab, "AuthorizationPolicy", name)
        assert istiod.urn in after(homelab, policy)
    assert obj(homelab, "AuthorizationPolicy", "oauth2-proxy").inputs["spec"]["provider"]["name"] in providers


def test_nothing_is_routed_before_the_login_guards_it(homelab):
    policy = obj(homelab, "AuthorizationPolicy", "oauth2-proxy").urn
    for name in ("dex", "oauth2-proxy", "grafana"):
        assert policy in after(homelab, obj(homelab, "VirtualService", name)), name
    # Grafana's route also waits for the authorizer that answers for it.
    assert release(homelab, "oauth2-proxy").urn in after(homelab, obj(homelab, "VirtualService", "grafana"))


def test_what_a_release_mounts_exists_before_it(homelab):
    bundle = obj(homelab, "ConfigMap", "clusterforge-ca", "oauth2-proxy")
    assert bundle.urn in release(homelab, "oauth2-proxy").dependencies
    assert bundle.inputs["data"] == {"ca.crt": UNKNOWN_TEXT}  # the CA certificate, public, known at apply


def test_istio_system_has_one_owner(homelab):
    namespaces = [r for r in homelab.resources if r.type == "kubernetes:core/v1:Namespace"
                  and r.inputs["metadata"]["name"] == "istio-system"]
    assert len(namespaces) == 1
    assert namespaces[0].urn in release(homelab, "istiod").dependencies
    assert release(homelab, "istio-base").urn in release(homelab, "istiod").dependencies


def test_native_sidecar_settings_and_the_training_job():
    # issue 24: the demo Job is off unless asked for (homelab used to ship it on)
    homelab = run_stack("homelab", {"addons.istio.trainingExample.enabled": True})
    values = release(homelab, "istiod").inputs["values"]
    assert values["env"]["ENABLE_NATIVE_SIDECARS"] == "true"
    assert values["meshConfig"]["defaultConfig"] == {"holdApplicationUntilProxyStarts": True}
    namespace = obj(homelab, "Namespace", "training")
    job = obj(homelab, "Job", "mesh-example-training", "training")
    assert namespace.inputs["metadata"]["labels"] == {"istio-injection": "enabled"}
    assert {namespace.urn, release(homelab, "istiod").urn} <= set(job.dependencies)
    assert job.inputs["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_secrets_stay_secret_in_every_input(homelab):
    # In Secrets the releases wait for, never in values (that would hide every values diff).
    for name, secret in (("dex", "dex-secrets"), ("oauth2-proxy", "oauth2-proxy-credentials")):
        assert SECRET_TEXT not in json.dumps(release(homelab, name).inputs["values"]), name
        namespace = release(homelab, name).inputs["namespace"]
        assert obj(homelab, "Secret", secret, namespace).inputs["stringData"] == SECRET_TEXT
        assert obj(homelab, "Secret", secret, namespace).urn in release(homelab, name).dependencies
    assert obj(homelab, "Secret", "clusterforge-ca").inputs["stringData"] == SECRET_TEXT
    [cert] = homelab.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert cert.inputs["privateKeyPem"] == SECRET_TEXT and cert.inputs["isCaCertificate"] is True
    lengths = {r.name: r.inputs["length"] for r in homelab.of_type("random:index/randomPassword:RandomPassword")}
    assert lengths["oauth2-proxy-cookie-secret"] == 32 and lengths["oauth2-proxy-client-secret"] == 32
    [salt_key] = homelab.of_type("random:index/randomBytes:RandomBytes")
    assert salt_key.inputs == {"length": 32}


def test_ingress_releases_use_the_cluster_provider_and_wait_for_the_cni(homelab):
    calico = release(homelab, "tigera-operator").urn
    for name in ("cert-manager", "istio-base", "istiod", "istio-ingressgateway", "dex", "oauth2-proxy"):
        r = release(homelab, name)
        assert r.provider == "kubernetes" and calico in r.dependencies, name


def test_gateway_api_crds_come_before_istio(gateway_api):
    [crds] = [r for r in gateway_api.of_type("kubernetes:yaml/v2:ConfigFile") if r.name == "istioBase-manifest-0"]
    assert crds.inputs["file"].endswith("/v1.4.0/standard-install.yaml")
    assert crds.urn in release(gateway_api, "istio-base").dependencies
    route = obj(gateway_api, "HTTPRoute", "grafana")
    assert crds.urn in after(gateway_api, route)
    peer = obj(gateway_api, "PeerAuthentication", "default", "istio-system")
    assert release(gateway_api, "istiod").urn in peer.dependencies
