"""Dex, the OIDC provider behind the login: issuer on the gateway, Kubernetes storage,
static users with bcrypt hashes, optional upstream connectors, one client (OAuth2-Proxy).

The chart writes `config` into a Secret, so the hashes and the client secret reach the
cluster only as a Secret and Pulumi keeps them as secrets.
"""
from __future__ import annotations

import uuid

from .gateway import route
from .ingress_inputs import (DEX_PORT, DEX_RELEASE, INJECTION_LABELS, OAUTH2_PROXY_CLIENT_ID, IngressInputs,
                             issuer_url, public_url)
from .spec import AddonSpec, merge_values, obj

REPOSITORY = "https://charts.dexidp.io"
CONNECTOR_SECRETS = "dex-connector-secrets"


def user_id(email: str) -> str:
    """A stable subject for a static user (Dex wants one; its value is never shown)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"clusterforge:dex:{email.lower()}"))


def dex_config(cfg, ingress: IngressInputs) -> dict:
    d = cfg.addons.dex
    return {
        "issuer": issuer_url(cfg),
        "storage": {"type": "kubernetes", "config": {"inCluster": True}},
        "web": {"http": f"0.0.0.0:{DEX_PORT}"},
        "oauth2": {"skipApprovalScreen": True, "responseTypes": ["code"]},
        "enablePasswordDB": bool(d.static_users),
        "staticPasswords": [{"email": u.email, "username": u.username, "userID": user_id(u.email),
                             "hash": ingress.password_hashes[u.email]} for u in d.static_users],
        "staticClients": [{"id": OAUTH2_PROXY_CLIENT_ID, "name": "OAuth2-Proxy", "secret": ingress.client_secret,
                           "redirectURIs": [public_url(cfg, "/oauth2/callback")]}],
        "connectors": [dict(c) for c in d.connectors],
    }


def dex(cfg, ingress: IngressInputs) -> AddonSpec:
    d = cfg.addons.dex
    values = {"config": dex_config(cfg, ingress), "https": {"enabled": False}}
    prerequisites = ()
    if d.connector_secrets:
        # Dex expands $VARIABLES in its config; the values come from secret config.
        prerequisites = (obj("v1", "Secret", CONNECTOR_SECRETS, d.namespace, type="Opaque",
                             stringData=dict(ingress.connector_secrets)),)
        values["envFrom"] = [{"secretRef": {"name": CONNECTOR_SECRETS}}]
    objects = (route(cfg, "dex", d.namespace, "/dex/", DEX_RELEASE, DEX_PORT),)
    return AddonSpec(key="dex", release=DEX_RELEASE, namespace=d.namespace, chart="dex", repository=REPOSITORY,
                     version=d.version, values=merge_values(values, d.values), depends_on=("istioGateway",),
                     namespace_labels=dict(INJECTION_LABELS), prerequisites=prerequisites, objects=objects)
