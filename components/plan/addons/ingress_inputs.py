"""What the secure ingress addons share: names, URLs, and the values generated at deploy time.

The specs are pure functions of the config and an `IngressInputs`. Under Pulumi the inputs
are Outputs (secret where they must be, see ingress_secrets.py); for planning (graph,
release names) `planned_inputs` stands in values that no serializer accepts, so a plan
can never be deployed with a placeholder secret.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CA_ISSUER = "clusterforge-ca"  # the CA ClusterIssuer, and the Secret holding the CA
CA_BUNDLE = "clusterforge-ca"  # ConfigMap with the CA certificate, for clients that verify
CA_FILE = "ca.crt"
GATEWAY = "clusterforge"  # the Gateway object
GATEWAY_RELEASE = "istio-ingressgateway"  # the gateway chart's release, Service and labels
GATEWAY_TLS_SECRET = "gateway-tls"
EXT_AUTHZ_PROVIDER = "oauth2-proxy"
DEX_RELEASE = "dex"
DEX_PORT = 5556
OAUTH2_PROXY_RELEASE = "oauth2-proxy"
OAUTH2_PROXY_PORT = 80
OAUTH2_PROXY_CLIENT_ID = "oauth2-proxy"
GRAFANA_SERVICE = "kube-prometheus-stack-grafana"
# Paths the login itself needs: never sent to the external authorizer.
AUTH_EXCLUDED_PATHS = ("/dex/*", "/dex/**", "/oauth2/*")
INJECTION_LABELS = {"istio-injection": "enabled"}
CA_FINGERPRINT_ANNOTATION = "clusterforge.io/ca-fingerprint"
SECRETS_DIGEST_ANNOTATION = "clusterforge.io/secrets-digest"


@dataclass(frozen=True)
class IngressInputs:
    ca_cert_pem: Any  # public
    ca_key_pem: Any  # secret
    ca_fingerprint: Any  # public: rolls pods and re-issues certificates when the CA changes
    client_secret: Any  # secret, shared by Dex and OAuth2-Proxy
    cookie_secret: Any  # secret, 32 bytes
    password_hashes: dict[str, Any] = field(default_factory=dict)  # email -> secret bcrypt hash
    connector_secrets: dict[str, Any] = field(default_factory=dict)  # env name -> secret
    jupyterhub_client_secret: Any = None  # secret, JupyterHub's Dex client (when enabled)
    # values -> a pod annotation for the Secret a container reads at start: a changed secret
    # changes it and so restarts the pods. Under Pulumi a digest of the Outputs
    # (ingress_secrets.py); while planning PLANNED.
    secrets_digest: Callable[[list[Any]], Any] = field(default=lambda values: PLANNED, compare=False, repr=False)


class _Planned:
    """A value generated at deploy time; deliberately not serializable."""

    def __repr__(self) -> str:
        return "<generated at deploy time>"


PLANNED = _Planned()


def planned_inputs(cfg) -> IngressInputs:
    dex = cfg.addons.dex
    return IngressInputs(PLANNED, PLANNED, PLANNED, PLANNED, PLANNED,
                         {u.email: PLANNED for u in dex.static_users},
                         {env: PLANNED for env in dex.connector_secrets},
                         PLANNED if cfg.addons.jupyterhub.enabled else None)


def public_host(cfg) -> str:
    """The host users (and the OIDC clients in the cluster) reach the gateway at."""
    gw = cfg.addons.istio.gateway
    return gw.hostnames[0] if gw.hostnames else str(gw.address)


def public_url(cfg, path: str) -> str:
    return f"https://{public_host(cfg)}{path}"


def issuer_url(cfg) -> str:
    """Dex's issuer: the `iss` of every token, the same in Dex, OAuth2-Proxy and Istio."""
    return public_url(cfg, "/dex")


def gateway_hosts(cfg) -> list[str]:
    return list(cfg.addons.istio.gateway.hostnames) or ["*"]


def cluster_host(service: str, namespace: str, cfg) -> str:
    return f"{service}.{namespace}.svc.{cfg.kubernetes.cluster_domain}"


def gateway_pod_labels() -> dict[str, str]:
    """The labels the gateway chart gives its pods for release GATEWAY_RELEASE."""
    return {"app": GATEWAY_RELEASE, "istio": GATEWAY_RELEASE.removeprefix("istio-")}
