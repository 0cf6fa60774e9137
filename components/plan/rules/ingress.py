"""Cross-field rules of the secure ingress addons, and the secret config keys they read."""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.ingress import duration_seconds

# Kubernetes enabled SidecarContainers (init containers with restartPolicy Always) by
# default in 1.29 (beta; alpha and off in 1.28, GA in 1.33).
NATIVE_SIDECAR_MINOR = (1, 29)


def _minor(cfg) -> tuple[int, int]:
    major, minor = cfg.kubernetes.minor.split(".")
    return int(major), int(minor)


def ingress_findings(cfg, metallb_valid: bool = True) -> list[Finding]:
    rules = (_needs, _native_sidecars, _certificate_times, _static_users, _exposed_apps)
    findings = [finding for rule in rules for finding in rule(cfg)]
    return findings + list(_gateway_address(cfg, metallb_valid))


def _needs(cfg) -> Iterator[Finding]:
    a = cfg.addons
    needs = (
        (a.istio.enabled, "istio", a.cert_manager.enabled, "certManager",
         "the gateway's TLS certificate is issued by cert-manager from the cluster CA"),
        (a.dex.enabled, "dex", a.istio.enabled, "istio", "Dex is served under /dex on the Istio gateway"),
        (a.oauth2_proxy.enabled, "oauth2Proxy", a.dex.enabled, "dex", "OAuth2-Proxy signs users in through Dex"),
    )
    for enabled, key, other_enabled, other, why in needs:
        if enabled and not other_enabled:
            yield Finding(f"addons.{key}.enabled", f"{key} needs {other}: {why}",
                          f"set addons.{other}.enabled: true, or disable {key}")


def _gateway_address(cfg, metallb_valid: bool) -> Iterator[Finding]:
    from components.config.addons import parse_address_range

    istio = cfg.addons.istio
    if not istio.enabled:
        return
    gw = istio.gateway
    path = join_path("addons", "istio", "gateway")
    if gw.address is None and not gw.hostnames:
        yield Finding(join_path(path, "address"), "the gateway has neither an address nor hostnames; the "
                      "issuer URL and the gateway certificate need one",
                      "set the address MetalLB gives the gateway, or hostnames that resolve to it")
        return
    mlb = cfg.addons.metallb
    if gw.address is None or not mlb.enabled or not metallb_valid:
        return
    spans = [parse_address_range(text) for text in mlb.addresses]
    if not any(first <= gw.address <= last for first, last in spans):
        yield Finding(join_path(path, "address"), f"{gw.address} is not in the MetalLB addresses "
                      f"({', '.join(mlb.addresses)})", "pick an address MetalLB hands out")


def _native_sidecars(cfg) -> Iterator[Finding]:
    istio = cfg.addons.istio
    if istio.enabled and istio.native_sidecars and _minor(cfg) < NATIVE_SIDECAR_MINOR:
        yield Finding("addons.istio.nativeSidecars",
                      f"Kubernetes {cfg.kubernetes.minor} has no native sidecars (SidecarContainers is on by "
                      "default from 1.29); Jobs with an injected proxy would never complete",
                      "set kubernetes.version to 1.29 or later, or set addons.istio.nativeSidecars: false")
    if istio.enabled and istio.training_example.enabled and not istio.native_sidecars:
        yield Finding("addons.istio.trainingExample.enabled",
                      "the example training Job needs native sidecars to complete",
                      "set addons.istio.nativeSidecars: true, or disable the example")


def _certificate_times(cfg) -> Iterator[Finding]:
    cm = cfg.addons.cert_manager
    if not cm.enabled:
        return
    duration = duration_seconds(cm.certificate_duration)
    renew = duration_seconds(cm.certificate_renew_before)
    if duration < 3600:
        yield Finding("addons.certManager.certificateDuration", f"{cm.certificate_duration} is under one "
                      "hour, cert-manager's minimum", "use at least 1h, e.g. 2160h")
    elif renew >= duration:
        yield Finding("addons.certManager.certificateRenewBefore", f"{cm.certificate_renew_before} is not "
                      f"shorter than the duration {cm.certificate_duration}; the certificate would renew forever",
                      "renew a fraction of the lifetime before expiry, e.g. 360h of 2160h")
    if cm.ca.early_renewal_hours >= cm.ca.validity_hours:
        yield Finding("addons.certManager.ca.earlyRenewalHours", "the CA would be renewed on every run",
                      "make earlyRenewalHours smaller than validityHours")


def _static_users(cfg) -> Iterator[Finding]:
    dex = cfg.addons.dex
    if not dex.enabled:
        return
    seen: dict[tuple[str, str], int] = {}
    for i, user in enumerate(dex.static_users):
        for field, value in (("email", user.email.lower()), ("username", user.username)):
            if (field, value) in seen:
                yield Finding(join_path("addons", "dex", "staticUsers", i, field),
                              f"{value!r} is also staticUsers[{seen[field, value]}]", "give each user their own")
            seen.setdefault((field, value), i)
    if not dex.static_users and not dex.connectors:
        yield Finding("addons.dex.staticUsers", "Dex has no users and no connectors: nobody can log in",
                      "add a static user (email, username, passwordSecret) or an upstream connector")


def _exposed_apps(cfg) -> Iterator[Finding]:
    a = cfg.addons
    if a.istio.enabled and a.istio.gateway.expose_grafana:
        if not a.prometheus.enabled:
            yield Finding("addons.istio.gateway.exposeGrafana", "Grafana comes from the Prometheus addon, "
                          "which is disabled", "enable addons.prometheus or drop exposeGrafana")
        if not a.oauth2_proxy.enabled:
            yield Finding("addons.istio.gateway.exposeGrafana", "an exposed app must sit behind the login",
                          "enable addons.oauth2Proxy (and addons.dex)")


def ingress_secret_keys(cfg) -> dict[str, str]:
    """Secret config keys the SSO addons read -> what each is for."""
    needed: dict[str, str] = {}
    if cfg.addons.dex.enabled:
        for user in cfg.addons.dex.static_users:
            needed[user.password_secret] = f"password of the Dex user {user.email}"
        for env, key in cfg.addons.dex.connector_secrets.items():
            needed[key] = f"Dex connector secret ${env}"
    return needed
