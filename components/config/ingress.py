"""Config of the secure ingress and single sign-on addons: cert-manager, Istio, Dex, OAuth2-Proxy.

Defaults are the secure ones: TLS on the gateway with a certificate from the cluster CA,
every request checked by OAuth2-Proxy, secrets generated or read from secret config.
Cross-field rules (which addon needs which, addresses, Kubernetes versions) are in
plan/rules/ingress.py.

Who consumes each field:
- `certManager.ca.*`: the CA certificate pulumi-tls makes (validity hours, early renewal);
  `certificateDuration|certificateRenewBefore`: cert-manager Certificates (Go durations,
  duration at least 1h, renewBefore shorter than duration).
- `istio.*`: istiod's mesh config (native sidecars need Kubernetes 1.29+, the JWKS refresh
  interval a Go duration), the gateway chart (`gateway.address` a MetalLB address,
  `hostnames` DNS names, `api` Istio or Gateway API objects).
- `dex.staticUsers[]`: Dex's staticPasswords (emails unique, bcrypt hashes of secret config
  keys at `bcryptCost` >= 10); `connectors[]`: Dex's connectors verbatim (Dex expands `$VAR`
  from its environment: each must be in `connectorSecrets`, a map of environment names to
  secret config keys; no credential in plain text: plan/rules/references.py, credentials.py).
- `oauth2Proxy.*`: OAuth2-Proxy's flags (`cookieExpire` a Go duration, `apiRoutes` and
  `skipAuthRoutes` Go RE2 regular expressions, the latter `[METHOD=]regex`:
  plan/rules/embedded.py; email domains; header lists of Istio's ext_authz provider).
"""
from __future__ import annotations

import re
from ipaddress import IPv4Address
from typing import Any, Literal

from pydantic import Field, field_validator

from components.config.base import Addon, DnsLabel, PinnedVersion, StrictModel
from components.config.base import values_mapping as _values_mapping
from components.config.k8s_names import dns1123_subdomain_errors, invalid

# Go durations as cert-manager and Istio read them, in whole hours/minutes/seconds.
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_SECRET_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def duration_seconds(text: str) -> int:
    """`2160h`, `1h30m`, `90s` -> seconds; ValueError for anything else."""
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a duration; use hours, minutes and seconds such as 2160h or 1m30s")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _duration(value: str) -> str:
    try:
        duration_seconds(value)
    except ValueError as err:
        raise invalid(str(err), "Go's time.ParseDuration has no days: write e.g. 2160h for 90 days") from None
    return value


class CaConfig(StrictModel):
    """The cluster CA, generated with pulumi-tls and handed to cert-manager as a CA issuer."""

    common_name: str = "clusterforge cluster CA"
    organization: str = "clusterforge"
    # Ten years; renewed by `pulumi up` once fewer than earlyRenewalHours remain.
    validity_hours: int = Field(87600, ge=24)
    early_renewal_hours: int = Field(720, ge=1)


class CertManagerConfig(Addon):
    version: PinnedVersion = "v1.19.4"
    namespace: DnsLabel = "cert-manager"
    ca: CaConfig = CaConfig()
    # Certificates issued from the CA (the gateway's): lifetime and renewal, Go durations.
    certificate_duration: str = "2160h"
    certificate_renew_before: str = "360h"

    _durations = field_validator("certificate_duration", "certificate_renew_before")(_duration)


class TrainingExample(StrictModel):
    """A plain Job in an injected namespace that completes although its pod has a proxy."""

    enabled: bool = False
    namespace: DnsLabel = "training"
    image: str = "docker.io/curlimages/curl:8.5.0"


class GatewayConfig(StrictModel):
    """The ingress gateway: its own namespace, a LoadBalancer Service, HTTPS only."""

    namespace: DnsLabel = "ingress"
    # `istio`: Gateway + VirtualServices (what Kubeflow tenants expect); `gateway-api`:
    # Gateway + HTTPRoutes bound to the same gateway deployment.
    api: Literal["istio", "gateway-api"] = "istio"
    gateway_api_version: PinnedVersion = "v1.4.0"
    # The address MetalLB gives the gateway Service; the issuer URL uses the first
    # hostname, else this address.
    address: IPv4Address | None = None
    hostnames: list[str] = []
    # Grafana from the Prometheus addon under /grafana/, behind the login.
    expose_grafana: bool = False
    values: dict[str, Any] = {}

    _mapping = field_validator("values", mode="before")(_values_mapping)

    @field_validator("hostnames")
    @classmethod
    def _dns_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if dns1123_subdomain_errors(name):
                raise ValueError(f"{name!r} is not a DNS name; use lower-case labels separated by dots")
        return value


class IstioConfig(Addon):
    """Istio `base`, `istiod` and `gateway` charts at one version; `values` go to istiod."""

    version: PinnedVersion = "1.29.9"
    namespace: DnsLabel = "istio-system"
    base_values: dict[str, Any] = {}
    # Kubernetes native sidecars: the proxy runs as an init container with
    # restartPolicy Always, so Jobs complete and start only once the proxy is up.
    native_sidecars: bool = True
    hold_application_until_proxy_starts: bool = True
    # How often istiod refetches JWKS (RequestAuthentication): short, so a Dex that
    # comes up after istiod is picked up soon.
    jwks_refresh_interval: str = "1m"
    # Mesh-wide STRICT mTLS; off by default because it rejects plain-text clients
    # outside the mesh (Prometheus scraping injected pods).
    strict_mtls: bool = False
    gateway: GatewayConfig = GatewayConfig()
    training_example: TrainingExample = TrainingExample()

    _base_mapping = field_validator("base_values", mode="before")(_values_mapping)
    _interval = field_validator("jwks_refresh_interval")(_duration)


class StaticUser(StrictModel):
    """A Dex user; the password is read from secret config and stored as a bcrypt hash."""

    email: str
    username: str
    # Name of the secret config key holding the password
    # (`pulumi config set --secret clusterforge:<passwordSecret> <password>`).
    password_secret: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address; use the form user@domain")
        return value

    @field_validator("password_secret")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        if not _SECRET_KEY.match(value):
            raise ValueError(f"{value!r} is not a config key name; use letters and digits (dexAdminPassword)")
        return value


class DexConfig(Addon):
    version: PinnedVersion = "0.24.0"
    namespace: DnsLabel = "auth"
    static_users: list[StaticUser] = []
    bcrypt_cost: int = Field(12, ge=10, le=16)
    # Upstream connectors (oidc, ldap, github, ...) exactly as Dex reads them; write
    # secrets as $VARIABLES and map each to a secret config key in connectorSecrets.
    connectors: list[dict[str, Any]] = []
    connector_secrets: dict[str, str] = {}


    @field_validator("connector_secrets")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for env, key in value.items():
            if not re.match(r"^[A-Z_][A-Z0-9_]*$", env):
                raise ValueError(f"{env!r} is not an environment variable name; use A-Z, 0-9 and _")
            if not _SECRET_KEY.match(key):
                raise ValueError(f"{key!r} is not a config key name; use letters and digits")
        return value


class ExtAuthzHeaders(StrictModel):
    """Header lists of Istio's envoyExtAuthzHttp provider for OAuth2-Proxy."""

    include_request_headers_in_check: list[str] = ["authorization", "cookie"]
    headers_to_upstream_on_allow: list[str] = [
        "authorization", "path", "x-auth-request-email", "x-auth-request-groups", "x-auth-request-user"]
    headers_to_downstream_on_deny: list[str] = ["content-type", "set-cookie"]


class Oauth2ProxyConfig(Addon):
    version: PinnedVersion = "10.7.0"
    namespace: DnsLabel = "oauth2-proxy"
    email_domains: list[str] = ["*"]
    cookie_expire: str = "24h"
    cookie_samesite: Literal["lax", "strict"] = "lax"
    # Paths answered 401 instead of a redirect to the login (background API calls).
    api_routes: list[str] = ["^/api/"]
    skip_auth_routes: list[str] = ["^/dex/"]
    headers: ExtAuthzHeaders = ExtAuthzHeaders()
    # Kubeflow's stricter form: a RequestAuthentication for Dex tokens and a DENY policy
    # for requests without a verified principal.
    require_jwt: bool = False

    _expire = field_validator("cookie_expire")(_duration)
