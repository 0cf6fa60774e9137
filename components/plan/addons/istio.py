"""Istio's control plane: the `base` chart (CRDs) and `istiod` with the mesh config.

The mesh config registers OAuth2-Proxy as an external authorizer, merges slashes before
routing and authorization (so `//dex` cannot slip past a path rule), and holds the
application until its proxy runs. Native sidecars make the proxy an init container with
restartPolicy Always: a Job's pod completes when its main container exits. Injection
happens at admission, so the render shows these settings; the Job example exercises them.
"""
from __future__ import annotations

from components.plan.addons.ingress_inputs import (CA_FINGERPRINT_ANNOTATION, EXT_AUTHZ_PROVIDER,
                                                   INJECTION_LABELS, OAUTH2_PROXY_PORT, OAUTH2_PROXY_RELEASE,
                                                   IngressInputs, cluster_host)
from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
TRAINING_JOB = "mesh-example-training"


def istio_base(cfg) -> AddonSpec:
    i = cfg.addons.istio
    manifests = ()
    if i.gateway.api == "gateway-api":
        v = i.gateway.gateway_api_version
        manifests = (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{v}/standard-install.yaml",)
    return AddonSpec(key="istioBase", release="istio-base", namespace=i.namespace, chart="base",
                     repository=REPOSITORY, version=i.version, values=merge_values({}, i.base_values),
                     manifests=manifests)


def extension_provider(cfg) -> dict:
    o = cfg.addons.oauth2_proxy
    h = o.headers
    return {"name": EXT_AUTHZ_PROVIDER, "envoyExtAuthzHttp": {
        "service": cluster_host(OAUTH2_PROXY_RELEASE, o.namespace, cfg),
        "port": OAUTH2_PROXY_PORT,
        "includeRequestHeadersInCheck": list(h.include_request_headers_in_check),
        "headersToUpstreamOnAllow": list(h.headers_to_upstream_on_allow),
        "headersToDownstreamOnDeny": list(h.headers_to_downstream_on_deny),
    }}


def mesh_config(cfg) -> dict:
    i = cfg.addons.istio
    return {
        "pathNormalization": {"normalization": "MERGE_SLASHES"},
        "defaultConfig": {"holdApplicationUntilProxyStarts": i.hold_application_until_proxy_starts},
        "extensionProviders": [extension_provider(cfg)] if cfg.addons.oauth2_proxy.enabled else [],
    }


def istiod(cfg, ingress: IngressInputs) -> AddonSpec:
    i = cfg.addons.istio
    values = {
        "meshConfig": mesh_config(cfg),
        "env": {
            "ENABLE_NATIVE_SIDECARS": "true" if i.native_sidecars else "false",
            "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL": i.jwks_refresh_interval,
        },
        # istiod fetches Dex's keys over the gateway, whose certificate comes from our CA;
        # a new CA changes the fingerprint and so restarts istiod with the new root.
        "jwksResolverExtraRootCA": ingress.ca_cert_pem,
        "podAnnotations": {CA_FINGERPRINT_ANNOTATION: ingress.ca_fingerprint},
        "global": {"proxy": {"clusterDomain": cfg.kubernetes.cluster_domain}},
    }
    objects = []
    if i.strict_mtls:
        # In the root namespace, with no selector: the whole mesh.
        objects.append(obj("security.istio.io/v1", "PeerAuthentication", "default", i.namespace,
                           spec={"mtls": {"mode": "STRICT"}}))
    if i.training_example.enabled:
        objects += training_example(cfg)
    return AddonSpec(key="istiod", release="istiod", namespace=i.namespace, chart="istiod",
                     repository=REPOSITORY, version=i.version, values=merge_values(values, i.values),
                     depends_on=("istioBase",), objects=tuple(objects))


def training_example(cfg) -> list[dict]:
    """An injected namespace and a Job whose very first step is a network call."""
    t = cfg.addons.istio.training_example
    target = f"http://{cluster_host('istiod', cfg.addons.istio.namespace, cfg)}:15014/version"
    namespace = obj("v1", "Namespace", t.namespace, labels=dict(INJECTION_LABELS))
    pod = {
        "restartPolicy": "Never",
        "containers": [{
            "name": "train",
            "image": t.image,
            # Fails at once (backoffLimit 0) if the proxy is not up yet; exits, and the
            # Job completes, only because the proxy is a native sidecar.
            "command": ["curl", "--fail", "--silent", "--show-error", "--max-time", "10", target],
            "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    }
    job = obj("batch/v1", "Job", TRAINING_JOB, t.namespace,
              # A finished example must not hold up `pulumi up`; `kubectl wait` shows it.
              annotations={"pulumi.com/skipAwait": "true"},
              spec={"backoffLimit": 0, "template": {"metadata": {"labels": {"app": TRAINING_JOB}}, "spec": pod}})
    return [namespace, job]


def crd_source(cfg) -> tuple[str, str]:
    v = cfg.addons.istio.version
    return (f"istio-{v}-crd-all.gen.yaml",
            f"https://raw.githubusercontent.com/istio/istio/{v}/manifests/charts/base/files/crd-all.gen.yaml")
