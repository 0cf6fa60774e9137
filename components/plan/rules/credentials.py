"""No credential in plain text inside free-form values (chart values, Dex connectors, kind's
config): a stack file is committed, and Helm values land in the state and in every diff.

Consumers: Helm passes values to templates verbatim; Dex reads connector configs and expands
`$VAR` / `${VAR}` from its environment, which the program fills from secret config keys
(`addons.dex.connectorSecrets`); kind passes `containerdConfigPatches` into containerd's
config (registry `auth` holds a password). A credential is recognised by the key that holds it
(password, clientSecret, token, ... as the policy pack names them) or by its shape (a PEM
private key). Values that only reference one ($VAR, an existing Secret's name) pass.
"""
from __future__ import annotations

import re

from components.config.base import Finding
from components.config.model import StackConfig
from components.plan.rules.free_form import free_form_roots, walk

# Key names (lower-cased, '-' and '_' dropped) whose string value is a credential itself.
_CREDENTIAL_KEY = re.compile(r"(password|passwd|passphrase|privatekey|apitoken|accesstoken|bearertoken|authtoken|"
                             r"secretkey|clientsecret|secretaccesskey|bindpw|cookiesecret|apikey|token)$")
# ...unless the key names a reference to one (existingSecret, passwordSecretName, tokenFile, ...).
_REFERENCE_KEY = re.compile(r"(existing|secretname|secretref|file|path|env|key(name|ref)|length|enabled|expir)")
_ENV_REFERENCE = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----")
# Inside text configs (kind's containerd patches): `password = "..."`, `auth = "..."`.
_TOML_CREDENTIAL = re.compile(r"^\s*(password|auth|identitytoken|token)\s*=\s*\"[^\"]{4,}\"", re.I | re.M)


def _norm(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def _is_credential(key: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    if _PRIVATE_KEY.search(value):
        return "a private key"
    if _TOML_CREDENTIAL.search(value):
        return "a registry credential"
    norm = _norm(key)
    if _CREDENTIAL_KEY.search(norm) and not _REFERENCE_KEY.search(norm) and not _ENV_REFERENCE.fullmatch(value):
        return f"a credential ({key})"
    return None


def _fix(path: str) -> str:
    if path.startswith("addons.dex.connectors"):
        return ("set it as a secret (pulumi config set --secret clusterforge:dexConnectorSecret <value>), write "
                "$CONNECTOR_SECRET in its place and map it in addons.dex.connectorSecrets "
                "({CONNECTOR_SECRET: dexConnectorSecret})")
    if path.startswith("addons.prometheus.values.grafana"):
        return ("set it as a secret (pulumi config set --secret clusterforge:grafanaAdminPassword <value>) and "
                "name that key in addons.prometheus.adminPasswordSecret")
    return ("keep it out of the stack file: set it with pulumi config set --secret clusterforge:<key> and hand "
            "the chart an existing Secret (most charts take existingSecret) instead of the value")


def credential_findings(cfg: StackConfig) -> list[Finding]:
    findings = []
    for root, value in free_form_roots(cfg, enabled_only=False):
        for path, key, node in walk(root, value):
            what = _is_credential(key, node)
            if what:
                findings.append(Finding(path, f"{what} in plain text: the stack file is committed and the value "
                                        "would reach the state and every diff", _fix(path)))
    return findings
