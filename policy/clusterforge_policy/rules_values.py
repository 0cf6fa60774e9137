"""Policies that read the values of each resource: TLS verification, chart pins, secrets.

Each check takes (resources, facts, config) and returns the findings; no SDK involved.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .model import SECRET, Finding, Resource, StackFacts, falsy, get, is_masked, is_unknown, truthy, walk

# Keys whose true value turns certificate checks off, and keys whose false value does,
# compared without case, '-' or '_' (insecureSkipTlsVerify, insecure-skip-tls-verify, ...).
_DISABLING_KEYS = {"insecure", "insecureskiptlsverify", "skiptlsverify", "tlsskipverify", "insecureskipverify",
                   "skipverify", "tlsinsecureskipverify", "skipcertverify", "insecuretls", "kubeletinsecuretls",
                   "gitsslnoverify"}
_VERIFYING_KEYS = {"sslverify", "verifyssl", "tlsverify", "verifytls", "validatecerts", "verifycertificate",
                   "verifycerts", "checkcertificate", "pythonhttpsverify", "nodetlsrejectunauthorized"}
# The same switches written into commands, arguments, kubeconfigs and environments.
_DISABLING_TEXT = [
    re.compile(r"--insecure-skip-tls-verify(?!\s*=\s*false)\b"),
    re.compile(r"insecure-skip-tls-verify:\s*(true|yes)\b", re.I),
    re.compile(r"--kubelet-insecure-tls\b"),
    re.compile(r"\bcurl\b[^\n|;&]*\s(-[a-zA-Z]*k[a-zA-Z]*|--insecure)(\s|$)"),
    re.compile(r"--no-check-certificate\b"),
    re.compile(r"\b(GIT_SSL_NO_VERIFY|PYTHONHTTPSVERIFY\s*=\s*0|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*0)\b"),
    re.compile(r"\bvalidate_certs\s*[:=]\s*(false|no)\b", re.I),
]


def _norm(key: str) -> str:
    return re.sub(r"[-_]", "", key).lower()


def tls_verification_disabled(props: Mapping[str, Any]) -> list[str]:
    """Field paths in `props` that switch certificate verification off."""
    found = []
    for path, key, value in walk(props):
        k = _norm(key)
        if (k in _DISABLING_KEYS and truthy(value)) or (k in _VERIFYING_KEYS and falsy(value)):
            found.append(path)
        elif isinstance(value, str) and any(p.search(value) for p in _DISABLING_TEXT):
            found.append(path)
    return found


def check_tls(resources: Sequence[Resource], facts: StackFacts, config: Mapping[str, Any]) -> list[Finding]:
    return [Finding(r.urn, f"{r.name}: TLS verification is switched off at {path}; trust the server's CA "
                           "instead (system trust store, SSL_CERT_FILE or the tool's CA option)")
            for r in resources for path in tls_verification_disabled(r.props)]


HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart")
# Exactly one release: MAJOR.MINOR.PATCH with optional pre-release and build (SemVer 2).
EXACT_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def chart_pin_problem(props: Mapping[str, Any]) -> str | None:
    """Why a Helm chart's version is not one exact release (None when it is)."""
    chart = str(get(props, "chart", default="") or "")
    if chart.endswith((".tgz", ".tar.gz")) and not chart.startswith("oci://"):
        return None  # a chart archive is one release by construction
    version = get(props, "version")
    if version in (None, ""):
        return "has no version, so Helm installs whatever is newest"
    if is_unknown(version):
        return "has a version only known after apply, so the pin cannot be checked"
    if not EXACT_VERSION.match(str(version)):
        return f"version {version!r} is a range or tag, not one release"
    return None


def check_helm_pinned(resources: Sequence[Resource], facts: StackFacts, config: Mapping[str, Any]) -> list[Finding]:
    out = []
    for r in resources:
        if r.type in HELM_TYPES:
            problem = chart_pin_problem(r.props)
            if problem:
                chart = get(r.props, "chart", default=r.name)
                out.append(Finding(r.urn, f"Helm chart {chart} ({r.name}) {problem}; pin an exact version "
                                          "such as 1.2.3"))
    return out


# Outputs that carry credentials, by resource type: each must be declared a secret output
# (additionalSecretOutputs) so it reaches state and logs encrypted, whatever the provider's
# schema says today.
CREDENTIAL_OUTPUTS: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"),
    "aws:iam/accessKey:AccessKey": ("secret", "sesSmtpPasswordV4"),
    "pulumi:providers:kubernetes": ("kubeconfig",),
    "pulumi:providers:proxmoxve": ("apiToken", "password"),
}
_PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----")
_KUBECONFIG_CREDENTIAL = re.compile(r"(client-key-data|token):\s*[A-Za-z0-9+/=._-]{8,}")
# Key names (normalised like _norm) whose value is a credential.
_CREDENTIAL_KEY = re.compile(r"(password|passwd|privatekey|apitoken|accesstoken|bearertoken|secretkey|"
                             r"clientsecret|secretaccesskey|kubeconfig)$")
# A value that only names an environment variable ($VAR, ${VAR}): Dex expands it in connector
# configs from its environment (the README's `connectorSecrets` form), so it holds no credential.
_ENV_REFERENCE = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")


def plain_credentials(props: Mapping[str, Any]) -> list[str]:
    """Field paths holding a credential in plain text (secrets and unknowns are masked)."""
    found = []
    for path, key, value in walk(props):
        if not isinstance(value, str) or not value or is_masked(value) or _ENV_REFERENCE.fullmatch(value):
            continue
        if _PRIVATE_KEY.search(value) or _KUBECONFIG_CREDENTIAL.search(value) or _CREDENTIAL_KEY.search(_norm(key)):
            found.append(path)
    return found


def _credential_commands(resources: Sequence[Resource]) -> set[str]:
    """Commands whose output a Kubernetes provider reads as its kubeconfig."""
    by_urn = {r.urn: r for r in resources}
    return {dep for r in resources if r.type == "pulumi:providers:kubernetes" for dep in r.dependencies
            if dep in by_urn and by_urn[dep].type.startswith("command:")}


def check_secret_outputs(resources: Sequence[Resource], facts: StackFacts,
                         config: Mapping[str, Any]) -> list[Finding]:
    out = []
    feeds = _credential_commands(resources)
    for r in resources:
        wanted = list(CREDENTIAL_OUTPUTS.get(r.type, ()))
        if r.urn in feeds:
            wanted.append("stdout")
        missing = [name for name in wanted if name not in r.secret_outputs]
        if missing:
            out.append(Finding(r.urn, f"{r.name}: {', '.join(missing)} carry credentials but are not secret "
                                      "outputs; add them to additional_secret_outputs"))
        if facts.secrets_visible:
            for path in plain_credentials(r.props):
                out.append(Finding(r.urn, f"{r.name}: {path} holds a credential in plain text; pass it as a "
                                          f"secret (pulumi config set --secret, Output.secret) so it shows as {SECRET}"))
    return out
