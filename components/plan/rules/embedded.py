"""Embedded languages, parsed by the consumer's own grammar.

- `addons.oauth2Proxy.apiRoutes[]` and `.skipAuthRoutes[]`: OAuth2-Proxy compiles each with
  Go's `regexp` (RE2 syntax) at start and exits on an error, so one bad route takes the login
  down. RE2 has no look-around, back-references or `\\Z`; Python's `re` accepts all of those,
  so routes are compiled with RE2 itself (google-re2). A skip-auth route is `[METHOD=]regex`:
  OAuth2-Proxy splits at the first `=`, so a `=` in a regex without a method turns its head
  into a bogus method.
- Durations inside chart values, by the program that parses them: Dex's `config.expiry.*`
  (Go's time.ParseDuration at start: `1d` stops Dex), OAuth2-Proxy's `extraArgs`
  `cookie-refresh`/`cookie-expire` (Go durations), the Prometheus spec's `retention`,
  `scrapeInterval`, `evaluationInterval` (the operator's duration pattern: y, w, d allowed).
- `addons.certManager.certificateDuration` against `ca.validityHours`: the CA issuer signs
  nothing valid past its own certificate's end (cert-manager cuts the leaf's notAfter there),
  so a duration longer than the CA's validity is never what is issued.
- Orderings and minimums: cert-manager refuses `renewBefore` under 5m (MinimumRenewBefore);
  OAuth2-Proxy refuses to start when `cookie-refresh` (extraArgs) is not shorter than
  `cookieExpire` ("cookie_refresh must be less than cookie_expire"); 0 turns refreshing off.
  (Durations: cookieExpire is checked as Go's time.ParseDuration in config/ingress.py,
  cert-manager's minimum and renewBefore ordering in rules/ingress.py, Prometheus's in
  k8s_values.py.)
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import re2

from components.config.base import Finding, join_path
from components.config.ingress import duration_seconds
from components.config.model import StackConfig

HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error comes back as the exception; nothing on stderr


def re2_error(pattern: str) -> str | None:
    """RE2's complaint about `pattern` (as Go's regexp would refuse it), None when it compiles."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        detail = err.args[0] if err.args else err
        return detail.decode() if isinstance(detail, bytes) else str(detail)
    return None


def _routes(cfg: StackConfig) -> Iterator[Finding]:
    proxy = cfg.addons.oauth2_proxy
    if not proxy.enabled:
        return
    fix = "write it in RE2 syntax (Go's regexp): no look-around or back-references; e.g. ^/api/"
    for i, route in enumerate(proxy.api_routes):
        if (err := re2_error(route)) is not None:
            yield Finding(join_path("addons", "oauth2Proxy", "apiRoutes", i),
                          f"{route!r} is not a regular expression OAuth2-Proxy (Go's regexp) compiles: {err}", fix)
    for i, route in enumerate(proxy.skip_auth_routes):
        path = join_path("addons", "oauth2Proxy", "skipAuthRoutes", i)
        method, sep, regex = route.partition("=")
        if not sep:
            method, regex = "", route
        if sep and method.upper() not in HTTP_METHODS:
            yield Finding(path, f"OAuth2-Proxy reads {route!r} as method {method.upper()!r} and path {regex!r} "
                          "(it splits at the first '='); that is no HTTP method",
                          "write METHOD=regex (GET=^/health), or escape the '=' in the regex as \\x3d")
            continue
        if (err := re2_error(regex)) is not None:
            yield Finding(path, f"{regex!r} is not a regular expression OAuth2-Proxy (Go's regexp) compiles: {err}",
                          fix)


# (addon, path inside its values, grammar): durations the consumer parses from chart values.
GO, PROMETHEUS = "Go duration (ns, us, ms, s, m, h; no d)", "Prometheus duration (y, w, d, h, m, s, ms)"
VALUE_DURATIONS = (
    *(("dex", ("config", "expiry", key), GO) for key in ("signingKeys", "idTokens", "authRequests", "deviceRequests")),
    *(("dex", ("config", "expiry", "refreshTokens", key), GO)
      for key in ("validIfNotUsedFor", "absoluteLifetime", "reuseInterval")),
    *(("oauth2Proxy", ("extraArgs", key), GO) for key in ("cookie-refresh", "cookie-expire")),
    *(("prometheus", ("prometheus", "prometheusSpec", key), PROMETHEUS)
      for key in ("retention", "scrapeInterval", "evaluationInterval")),
)


def _value_durations(cfg: StackConfig) -> Iterator[Finding]:
    from components.config.k8s_values import PROMETHEUS_DURATION_FMT, is_go_duration

    prometheus = re2.compile(PROMETHEUS_DURATION_FMT, _OPTIONS)
    for addon, where, grammar in VALUE_DURATIONS:
        config = getattr(cfg.addons, {"oauth2Proxy": "oauth2_proxy"}.get(addon, addon))
        node = config.values if config.enabled else None
        for part in where:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            continue
        text = str(node)
        ok = is_go_duration(text) if grammar == GO else prometheus.fullmatch(text) is not None
        if not ok:
            yield Finding(join_path("addons", addon, "values", *where), f"{text!r} is not a {grammar}, which "
                          "the program reading it requires (it fails to start)",
                          "write e.g. 24h or 168h" if grammar == GO else "write e.g. 15d or 12h")


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_seconds(text: str) -> float | None:
    """Seconds of a Go duration (time.ParseDuration's grammar), None when it is not one."""
    from components.config.k8s_values import is_go_duration

    if not is_go_duration(text):
        return None
    sign = -1 if text.startswith("-") else 1
    return sign * sum(float(n) * _GO_UNITS[u] for n, u in _GO_PART.findall(text))


def _orderings(cfg: StackConfig) -> Iterator[Finding]:
    cm = cfg.addons.cert_manager
    if cm.enabled:
        try:
            renew = duration_seconds(cm.certificate_renew_before)
        except ValueError:
            renew = None
        if renew is not None and renew < 300:
            yield Finding("addons.certManager.certificateRenewBefore", f"{cm.certificate_renew_before} is under "
                          "cert-manager's minimum renewBefore of 5m", "use at least 5m, e.g. 360h")
    proxy = cfg.addons.oauth2_proxy
    refresh = (proxy.values.get("extraArgs") or {}).get("cookie-refresh") if proxy.enabled else None
    if refresh is not None:
        refresh_s, expire_s = go_seconds(str(refresh)), go_seconds(proxy.cookie_expire)
        if refresh_s and expire_s is not None and expire_s and refresh_s >= expire_s:
            yield Finding("addons.oauth2Proxy.values.extraArgs.cookie-refresh", f"cookie-refresh {refresh} is not "
                          f"shorter than cookieExpire {proxy.cookie_expire}; OAuth2-Proxy refuses to start",
                          "refresh well before expiry (e.g. 1h for 24h), or 0 for no refresh")


def _certificate_outlives_ca(cfg: StackConfig) -> Iterator[Finding]:
    cm = cfg.addons.cert_manager
    if not cm.enabled:
        return
    try:
        seconds = duration_seconds(cm.certificate_duration)
    except ValueError:
        return  # the schema reports it
    if seconds > cm.ca.validity_hours * 3600:
        yield Finding("addons.certManager.certificateDuration", f"{cm.certificate_duration} is longer than the CA's "
                      f"validity ({cm.ca.validity_hours}h): no certificate outlives its issuer",
                      "shorten certificateDuration, or raise ca.validityHours")


def embedded_findings(cfg: StackConfig) -> list[Finding]:
    return [*_routes(cfg), *_certificate_outlives_ca(cfg), *_value_durations(cfg), *_orderings(cfg)]
