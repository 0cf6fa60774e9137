"""OAuth2-Proxy as Istio's external authorizer: it answers every check, sends users
without a session to Dex, and answers API paths with 401 instead of a redirect.

It talks to Dex over the gateway, verifying TLS against the cluster CA (mounted from a
ConfigMap, `provider_ca_files`). Client and cookie secrets are in a Secret of our own that
the chart names (`config.existingSecret`), never in values; the config file holds nothing
secret.
"""
from __future__ import annotations

import json

from components.plan.addons.gateway import route
from components.plan.addons.ingress_inputs import (CA_BUNDLE, CA_FILE, CA_FINGERPRINT_ANNOTATION,
                                                   GRAFANA_SERVICE, INJECTION_LABELS, OAUTH2_PROXY_CLIENT_ID,
                                                   OAUTH2_PROXY_PORT, OAUTH2_PROXY_RELEASE,
                                                   SECRETS_DIGEST_ANNOTATION, IngressInputs, issuer_url,
                                                   public_host, public_url)
from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://oauth2-proxy.github.io/manifests"
CA_DIR = "/etc/clusterforge-ca"
COOKIE_SECRET_BYTES = 32  # AES-256; oauth2-proxy takes 16, 24 or 32 bytes
CREDENTIALS_SECRET = "oauth2-proxy-credentials"  # keys as the chart reads them


def proxy_settings(cfg) -> dict:
    o = cfg.addons.oauth2_proxy
    return {
        "provider": "oidc",
        "provider_display_name": "Dex",
        "oidc_issuer_url": issuer_url(cfg),
        "provider_ca_files": [f"{CA_DIR}/{CA_FILE}"],
        "redirect_url": public_url(cfg, "/oauth2/callback"),
        "whitelist_domains": [public_host(cfg)],
        "scope": "openid email profile groups",
        "code_challenge_method": "S256",
        "email_domains": list(o.email_domains),
        # An authorizer, not a proxy: a signed-in request gets 200 and goes on.
        "upstreams": ["static://200"],
        "skip_auth_routes": list(o.skip_auth_routes),
        "api_routes": list(o.api_routes),
        "skip_provider_button": True,  # no session -> a redirect to Dex, not a sign-in page
        "set_authorization_header": True,
        "set_xauthrequest": True,
        "cookie_name": "_oauth2_proxy",
        "cookie_secure": True,
        "cookie_httponly": True,
        "cookie_samesite": o.cookie_samesite,
        "cookie_expire": o.cookie_expire,
    }


def toml(settings: dict) -> str:
    """oauth2_proxy.cfg is TOML; our values are strings, booleans and string lists."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)  # a TOML basic string for our (ASCII) values

    return "".join(f"{key} = {value(v)}\n" for key, v in settings.items())


def oauth2_proxy(cfg, ingress: IngressInputs) -> AddonSpec:
    o = cfg.addons.oauth2_proxy
    values = {
        "config": {"existingSecret": CREDENTIALS_SECRET, "configFile": toml(proxy_settings(cfg))},
        "extraVolumes": [{"name": "clusterforge-ca", "configMap": {"name": CA_BUNDLE}}],
        "extraVolumeMounts": [{"name": "clusterforge-ca", "mountPath": CA_DIR, "readOnly": True}],
        # It reads the CA at start: a new CA restarts it.
        "podAnnotations": {CA_FINGERPRINT_ANNOTATION: ingress.ca_fingerprint,
                           SECRETS_DIGEST_ANNOTATION: ingress.secrets_digest([ingress.client_secret, ingress.cookie_secret])},
    }
    bundle = obj("v1", "ConfigMap", CA_BUNDLE, o.namespace, data={CA_FILE: ingress.ca_cert_pem})
    credentials = obj("v1", "Secret", CREDENTIALS_SECRET, o.namespace, type="Opaque", stringData={
        "client-id": OAUTH2_PROXY_CLIENT_ID, "client-secret": ingress.client_secret,
        "cookie-secret": ingress.cookie_secret})
    objects = [route(cfg, "oauth2-proxy", o.namespace, "/oauth2/", OAUTH2_PROXY_RELEASE, OAUTH2_PROXY_PORT)]
    depends = ["dex"]
    if cfg.addons.istio.gateway.expose_grafana:
        # The example app: routed only now, after the authorizer that guards it runs.
        objects.append(route(cfg, "grafana", cfg.addons.prometheus.namespace, "/grafana/", GRAFANA_SERVICE, 80,
                             app=True))
        depends.append("prometheus")
    return AddonSpec(key="oauth2Proxy", release=OAUTH2_PROXY_RELEASE, namespace=o.namespace, chart="oauth2-proxy",
                     repository=REPOSITORY, version=o.version, values=merge_values(values, o.values),
                     depends_on=tuple(depends), namespace_labels=dict(INJECTION_LABELS),
                     prerequisites=(bundle, credentials), objects=tuple(objects))


def grafana_values(cfg) -> dict:
    """Prometheus addon values for Grafana behind the gateway: its public URL, and a
    sidecar so the gateway reaches it over mTLS."""
    return {"grafana": {"grafana.ini": {"server": {"root_url": public_url(cfg, "/grafana/")}},
                        "podLabels": {"sidecar.istio.io/inject": "true"}}}
