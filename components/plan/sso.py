"""Single sign-on to the API server through Dex (pure: documents and kubeconfigs).

SSO is on when Dex is enabled on a cluster kubeadm builds (we own the API server's flags
there; kind and kwok clusters are not ours to configure). The API server then trusts
Dex's ID tokens through its structured authentication configuration
(apiserver.config.k8s.io/v1, `--authentication-config`): issuer Dex's issuer URL,
audience the public Dex client `kubernetes` that kubelogin uses, username from `email`,
groups from `groups`, both prefixed with `oidc:` so no IdP name can pose as one of
Kubernetes' own (`system:masters`, `system:nodes`). The issuer's CA is the cluster CA the
secure-ingress addons generate (a deploy-time value, passed in here as PEM).

A tenant that lists `groups` gets those groups (prefixed) as subjects of its RoleBinding
and read-only ClusterRoleBinding, and a kubeconfig whose user is kubelogin's exec plugin:
no token is handed out for people, the ServiceAccount stays for in-cluster workloads.
"""
from __future__ import annotations

import base64
from typing import Any

import yaml

from components.plan.addons.ingress_inputs import issuer_url

PREFIX = "oidc:"
KUBECTL_CLIENT_ID = "kubernetes"
# kubelogin's local callback: its default port, then its fallback.
KUBELOGIN_REDIRECTS = ("http://localhost:8000", "http://localhost:18000")
SCOPES = ("email", "groups")
AUTHN_API = "apiserver.config.k8s.io/v1"
# On every control-plane node, mounted read-only into the API server's static pod. The API
# server re-reads the file when it changes, so a renewed CA needs no restart.
AUTHN_DIR = "/etc/kubernetes/clusterforge"
AUTHN_FILE = f"{AUTHN_DIR}/authentication-config.yaml"
AUTHN_VARIABLE = "apiserver_authentication_config"
RBAC_GROUP = "rbac.authorization.k8s.io"
# What a kubeconfig's exec plugin runs (`kubectl oidc-login`, from kubelogin).
EXEC_API = "client.authentication.k8s.io/v1"


def kubeadm_built(cfg) -> bool:
    return cfg.hosts.kind not in ("kind", "kwok")


def sso_enabled(cfg) -> bool:
    return cfg.addons.dex.enabled and kubeadm_built(cfg)


def tenant_uses_sso(cfg, tenant) -> bool:
    return bool(tenant.groups) and sso_enabled(cfg)


def group_subjects(groups) -> list[dict[str, str]]:
    """RBAC subjects for IdP groups, named as the API server maps them (prefixed)."""
    return [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": PREFIX + g} for g in groups]


def authentication_configuration(issuer: str, ca_pem: str) -> dict[str, Any]:
    return {
        "apiVersion": AUTHN_API, "kind": "AuthenticationConfiguration",
        "jwt": [{
            "issuer": {"url": issuer, "certificateAuthority": ca_pem, "audiences": [KUBECTL_CLIENT_ID]},
            "claimMappings": {"username": {"claim": "email", "prefix": PREFIX},
                              "groups": {"claim": "groups", "prefix": PREFIX}},
        }],
    }


def authentication_file(cfg, ca_pem: str) -> str:
    """The file's text for this stack: Dex's issuer, trusted through the cluster CA."""
    return yaml.safe_dump(authentication_configuration(issuer_url(cfg), ca_pem), sort_keys=True)


def apiserver_settings() -> dict[str, Any]:
    """What the ClusterConfiguration's apiServer gets: the flag and the file's mount."""
    return {"extraArgs": [{"name": "authentication-config", "value": AUTHN_FILE}],
            "extraVolumes": [{"name": "clusterforge-authentication", "hostPath": AUTHN_DIR,
                              "mountPath": AUTHN_DIR, "readOnly": True, "pathType": "DirectoryOrCreate"}]}


def dex_kubectl_client() -> dict[str, Any]:
    """Dex's client for kubectl: public (kubelogin keeps no secret; PKCE guards the code)."""
    return {"id": KUBECTL_CLIENT_ID, "name": "kubectl", "public": True,
            "redirectURIs": list(KUBELOGIN_REDIRECTS)}


def exec_user(issuer: str, ca_pem: str) -> dict[str, Any]:
    """kubelogin as the kubeconfig's credential plugin: it logs in through Dex in a browser,
    caches the ID token and refreshes it; the API server gets that short-lived token."""
    ca = base64.b64encode(ca_pem.encode()).decode()
    return {"exec": {
        "apiVersion": EXEC_API, "command": "kubectl",
        "args": ["oidc-login", "get-token", f"--oidc-issuer-url={issuer}", f"--oidc-client-id={KUBECTL_CLIENT_ID}",
                 *(f"--oidc-extra-scope={s}" for s in SCOPES), f"--certificate-authority-data={ca}"],
        "interactiveMode": "IfAvailable", "provideClusterInfo": False}}
