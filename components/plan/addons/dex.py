"""Dex, the OIDC provider behind the login: issuer on the gateway, Kubernetes storage,
static users with bcrypt hashes, optional upstream connectors, its clients (OAuth2-Proxy,
JupyterHub when enabled, kubectl with SSO).

The hashes, the client secret and connector secrets live in a Secret of our own that Dex
reads as environment (`hashFromEnv`, `secretEnv`, `$VARIABLES` in connectors): a secret
inside the values would make the engine treat all values as secret and hide every diff.
"""
from __future__ import annotations

import uuid

from components.plan.addons.gateway import route
from components.plan.addons.ingress_inputs import (DEX_PORT, DEX_RELEASE, INJECTION_LABELS,
                                                   OAUTH2_PROXY_CLIENT_ID, SECRETS_DIGEST_ANNOTATION,
                                                   IngressInputs, issuer_url, public_url)
from components.plan.addons.jupyterhub import HUB_CLIENT_SECRET_ENV
from components.plan.addons.jupyterhub import dex_client as jupyterhub_client
from components.plan.addons.spec import AddonSpec, merge_values, obj
from components.plan.sso import dex_kubectl_client, sso_enabled

REPOSITORY = "https://charts.dexidp.io"
DEX_SECRETS = "dex-secrets"
CLIENT_SECRET_ENV = "CLUSTERFORGE_CLIENT_SECRET"


def hash_env(index: int) -> str:
    """The environment variable holding static user `index`'s bcrypt hash."""
    return f"CLUSTERFORGE_PASSWORD_HASH_{index}"


def user_id(email: str) -> str:
    """A stable subject for a static user (Dex wants one; its value is never shown)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"clusterforge:dex:{email.lower()}"))


def dex_config(cfg) -> dict:
    d = cfg.addons.dex
    return {
        "issuer": issuer_url(cfg),
        "storage": {"type": "kubernetes", "config": {"inCluster": True}},
        "web": {"http": f"0.0.0.0:{DEX_PORT}"},
        "oauth2": {"skipApprovalScreen": True, "responseTypes": ["code"]},
        "enablePasswordDB": bool(d.static_users),
        "staticPasswords": [{"email": u.email, "username": u.username, "userID": user_id(u.email),
                             "hashFromEnv": hash_env(i)} for i, u in enumerate(d.static_users)],
        "staticClients": [{"id": OAUTH2_PROXY_CLIENT_ID, "name": "OAuth2-Proxy", "secretEnv": CLIENT_SECRET_ENV,
                           "redirectURIs": [public_url(cfg, "/oauth2/callback")]},
                          *([jupyterhub_client(cfg)] if cfg.addons.jupyterhub.enabled else []),
                          # kubectl's, through kubelogin, when the API server trusts Dex (sso.py).
                          *([dex_kubectl_client()] if sso_enabled(cfg) else [])],
        "connectors": [dict(c) for c in d.connectors],
    }


def dex(cfg, ingress: IngressInputs) -> AddonSpec:
    d = cfg.addons.dex
    # Connector secrets come from secret config; Dex expands their $VARIABLES itself.
    data = {CLIENT_SECRET_ENV: ingress.client_secret,
            **{hash_env(i): ingress.password_hashes[u.email] for i, u in enumerate(d.static_users)},
            **ingress.connector_secrets}
    if cfg.addons.jupyterhub.enabled:
        data[HUB_CLIENT_SECRET_ENV] = ingress.jupyterhub_client_secret
    values = {"config": dex_config(cfg), "https": {"enabled": False},
              "envFrom": [{"secretRef": {"name": DEX_SECRETS}}],
              # Environment is read at start: a changed secret restarts Dex.
              "podAnnotations": {SECRETS_DIGEST_ANNOTATION: ingress.secrets_digest(list(data.values()))}}
    prerequisites = (obj("v1", "Secret", DEX_SECRETS, d.namespace, type="Opaque", stringData=data),)
    objects = (route(cfg, "dex", d.namespace, "/dex/", DEX_RELEASE, DEX_PORT),)
    return AddonSpec(key="dex", release=DEX_RELEASE, namespace=d.namespace, chart="dex", repository=REPOSITORY,
                     version=d.version, values=merge_values(values, d.values), depends_on=("istioGateway",),
                     namespace_labels=dict(INJECTION_LABELS), prerequisites=prerequisites, objects=objects)
