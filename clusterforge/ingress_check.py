"""Semantic rules `check` applies to a render with secure ingress and single sign-on.

Schemas say each object is well formed; these say the objects agree with each other,
the way the login flow needs them to:
- the issuer is the same (and HTTPS) in Dex, OAuth2-Proxy and every RequestAuthentication;
- a CUSTOM AuthorizationPolicy names a provider istiod's meshConfig.extensionProviders has;
- no CUSTOM or DENY policy catches the login's own paths (/dex, /oauth2);
- a gateway's TLS credential is in the namespace the gateway workload runs in;
- nothing disables TLS verification;
- OAuth2-Proxy's cookie secret has a length it accepts (16, 24 or 32 bytes);
- Dex's password hashes are bcrypt with cost >= 10.
They read plain data (objects, release documents, generated-secret inputs), so a
fixture can break one thing and name the finding it expects.
"""
from __future__ import annotations

import base64
import binascii
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field

from clusterforge.mockrun import SECRET_TEXT, UNKNOWN_TEXT
from clusterforge.validate import ObjectFinding, object_id
from components.addons.ingress_secrets import COOKIE_SECRET
from components.plan.addons.passwords import MIN_COST, hash_cost

# Requests the login itself makes: an authorizer or a DENY rule in their way locks users out.
LOGIN_PATHS = ("/dex/auth", "/dex/auth/local/login", "/dex/.well-known/openid-configuration", "/dex/keys",
               "/dex/token", "/oauth2/callback", "/oauth2/start", "/oauth2/sign_out")
COOKIE_SECRET_LENGTHS = (16, 24, 32)
_INSECURE_KEYS = re.compile(r"(skipverify|skiptlsverify|insecurenossl|skipissuerverification)$")
_PLACEHOLDERS = (SECRET_TEXT, UNKNOWN_TEXT)
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


@dataclass
class RenderFacts:
    objects: list[dict]
    releases: list[dict]  # name, namespace, chart, values (as render writes releases/)
    generated: dict[str, dict] = field(default_factory=dict)  # RandomPassword name -> its inputs
    bcrypt_cost: int = MIN_COST  # the configured cost of hashes the render shows as secret

    def charts(self, chart: str) -> list[dict]:
        return [r for r in self.releases if r.get("chart") == chart]

    def kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o.get("kind") == kind]


def release_id(release: dict) -> str:
    return f"HelmRelease/{release.get('namespace', 'default')}/{release.get('name', '?')}"


def oauth2_proxy_settings(release: dict) -> dict:
    text = ((release.get("values") or {}).get("config") or {}).get("configFile") or ""
    try:
        return tomllib.loads(text) if isinstance(text, str) else {}
    except tomllib.TOMLDecodeError:
        return {}


def istio_path_matches(pattern: str, path: str) -> bool:
    """Istio's AuthorizationPolicy path match: exact, `prefix*`, `*suffix`, `*`, {*}/{**}."""
    if pattern == "*":
        return bool(path)
    if "{*}" in pattern or "{**}" in pattern:
        regex = re.escape(pattern).replace(r"\{\*\*\}", ".+").replace(r"\{\*\}", "[^/]+")
        return re.fullmatch(regex, path) is not None
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return path.endswith(pattern[1:])
    return pattern == path


def rule_covers(rule: dict, path: str) -> bool:
    """Whether a policy rule can apply to `path` (conditions other than paths taken as met)."""
    operations = [t.get("operation") or {} for t in rule.get("to") or []]
    if not operations:
        return True
    for op in operations:
        paths, not_paths = op.get("paths"), op.get("notPaths")
        if paths is not None and not any(istio_path_matches(p, path) for p in paths):
            continue
        if not_paths is not None and any(istio_path_matches(p, path) for p in not_paths):
            continue
        return True
    return False


def _issuers(facts: RenderFacts) -> Iterator[tuple[str, str, str, str]]:
    """(who, object, path, issuer) of every OIDC verifier and the provider itself."""
    for r in facts.charts("dex"):
        issuer = ((r.get("values") or {}).get("config") or {}).get("issuer")
        if issuer:
            yield "Dex", release_id(r), "values.config.issuer", issuer
    for r in facts.charts("oauth2-proxy"):
        issuer = oauth2_proxy_settings(r).get("oidc_issuer_url")
        if issuer:
            yield "OAuth2-Proxy", release_id(r), "values.config.configFile.oidc_issuer_url", issuer
    for ra in facts.kind("RequestAuthentication"):
        for i, jwt in enumerate((ra.get("spec") or {}).get("jwtRules") or []):
            yield "RequestAuthentication", object_id(ra), f"spec.jwtRules[{i}].issuer", jwt.get("issuer", "")


def issuer_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    found = list(_issuers(facts))
    reference = next((f for f in found if f[0] == "Dex"), found[0] if found else None)
    for who, oid, path, issuer in found:
        if not issuer.startswith("https://"):
            yield ObjectFinding(oid, path, f"{who} issuer {issuer!r} is not HTTPS; tokens and logins would "
                                "travel in plain text (fix: serve Dex on the TLS gateway)")
        if reference and issuer != reference[3]:
            yield ObjectFinding(oid, path, f"{who} issuer {issuer!r} differs from {reference[0]}'s "
                                f"{reference[3]!r}; every token's iss must match every verifier "
                                "(fix: use the one issuer URL everywhere)")


def provider_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    names = {p.get("name") for r in facts.charts("istiod")
             for p in ((r.get("values") or {}).get("meshConfig") or {}).get("extensionProviders") or []}
    for ap in facts.kind("AuthorizationPolicy"):
        spec = ap.get("spec") or {}
        if spec.get("action") != "CUSTOM":
            continue
        name = (spec.get("provider") or {}).get("name")
        if name not in names:
            known = ", ".join(sorted(n for n in names if n)) or "none"
            yield ObjectFinding(object_id(ap), "spec.provider.name", f"CUSTOM provider {name!r} is not in "
                                f"istiod's meshConfig.extensionProviders (has: {known}); Istio would deny "
                                "every request (fix: register the provider or use its name)")


def excluded_paths_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    for ap in facts.kind("AuthorizationPolicy"):
        spec = ap.get("spec") or {}
        action = spec.get("action", "ALLOW")
        if action not in ("CUSTOM", "DENY"):
            continue
        for i, rule in enumerate(spec.get("rules") or []):
            caught = [p for p in LOGIN_PATHS if rule_covers(rule, p)]
            if caught:
                what = "sends to the authorizer" if action == "CUSTOM" else "denies"
                yield ObjectFinding(object_id(ap), f"spec.rules[{i}].to", f"the {action} rule {what} the "
                                    f"login's own paths ({', '.join(caught)}); nobody could sign in "
                                    "(fix: exclude /dex/*, /dex/** and /oauth2/* with notPaths)")


def _gateway_namespaces(facts: RenderFacts, selector: dict) -> list[str]:
    out = []
    for r in facts.charts("gateway"):
        values = r.get("values") or {}
        name = values.get("name") or r.get("name", "")
        labels = {"app": name, "istio": name.removeprefix("istio-"), **(values.get("labels") or {})}
        if all(labels.get(k) == v for k, v in selector.items()):
            out.append(r.get("namespace", "default"))
    return out


def _credential_where(facts: RenderFacts, name: str) -> list[str]:
    certs = [c for c in facts.kind("Certificate") if (c.get("spec") or {}).get("secretName") == name]
    secrets = [s for s in facts.kind("Secret") if (s.get("metadata") or {}).get("name") == name]
    return sorted({(o.get("metadata") or {}).get("namespace", "default") for o in certs + secrets})


def credential_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    for gw in facts.kind("Gateway"):
        spec, oid = gw.get("spec") or {}, object_id(gw)
        if gw.get("apiVersion", "").startswith("networking.istio.io/"):
            namespaces = _gateway_namespaces(facts, spec.get("selector") or {})
            if not namespaces:
                yield ObjectFinding(oid, "spec.selector", "the selector matches no gateway release's pods")
            refs = [(f"spec.servers[{i}].tls.credentialName", s["tls"]["credentialName"], namespaces)
                    for i, s in enumerate(spec.get("servers") or []) if (s.get("tls") or {}).get("credentialName")]
        else:
            own = (gw.get("metadata") or {}).get("namespace", "default")
            refs = []
            for i, listener in enumerate(spec.get("listeners") or []):
                for j, ref in enumerate((listener.get("tls") or {}).get("certificateRefs") or []):
                    path = f"spec.listeners[{i}].tls.certificateRefs[{j}]"
                    if ref.get("namespace", own) != own:
                        yield ObjectFinding(oid, path, f"the credential is referenced in namespace "
                                            f"{ref['namespace']!r}; keep the gateway's credential in {own!r}")
                    refs.append((path, ref.get("name"), [own]))
        for path, name, namespaces in refs:
            where = _credential_where(facts, name)
            for ns in namespaces:
                if ns not in where:
                    found = f" (it is in {', '.join(where)})" if where else ""
                    yield ObjectFinding(oid, path, f"credential {name!r} is not in namespace {ns!r}, where the "
                                        f"gateway runs{found}; the gateway reads its credential from its own "
                                        f"namespace (fix: issue the Certificate in {ns!r})")


def _insecure(value, path: str) -> Iterator[tuple[str, str]]:
    """(path, flag) of every setting that turns TLS verification off, however it is spelled."""
    if isinstance(value, dict):
        for key, item in value.items():
            normal = re.sub(r"[^a-z]", "", str(key).lower())
            if _INSECURE_KEYS.search(normal) and item not in (False, "false", "False", 0, None):
                yield f"{path}.{key}", str(key)
            yield from _insecure(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _insecure(item, f"{path}[{i}]")
    elif isinstance(value, str) and value.startswith("--"):
        flag, _, setting = value[2:].partition("=")
        if _INSECURE_KEYS.search(re.sub(r"[^a-z]", "", flag.lower())) and setting.lower() not in ("false", "0"):
            yield path, flag


def tls_verification_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    sources = [(object_id(o), "", o) for o in facts.objects]
    sources += [(release_id(r), "values", r.get("values") or {}) for r in facts.releases]
    sources += [(release_id(r), "values.config.configFile", oauth2_proxy_settings(r))
                for r in facts.charts("oauth2-proxy")]
    for oid, base, value in sources:
        for path, flag in _insecure(value, base):
            yield ObjectFinding(oid, path.lstrip("."), f"{flag} turns TLS verification off; a forged "
                                "certificate would be accepted (fix: trust the cluster CA instead)")


def _cookie_length(text: str) -> int:
    lengths = {len(text.encode())}
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            lengths.add(len(decode(text + "=" * (-len(text) % 4))))
        except (binascii.Error, ValueError):
            pass
    return next((n for n in sorted(lengths, reverse=True) if n in COOKIE_SECRET_LENGTHS), len(text.encode()))


def cookie_secret_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    for r in facts.charts("oauth2-proxy"):
        secret = ((r.get("values") or {}).get("config") or {}).get("cookieSecret")
        if oauth2_proxy_settings(r).get("cookie_secret") is not None:
            yield ObjectFinding(release_id(r), "values.config.configFile.cookie_secret", "the cookie secret is "
                                "written in the config file, in plain text (fix: leave it to the generated secret)")
        if secret in (None, SECRET_TEXT):  # generated: in our Secret (existingSecret), or as a secret
            length = (facts.generated.get(COOKIE_SECRET) or {}).get("length")
            if length is not None and length not in COOKIE_SECRET_LENGTHS:
                yield ObjectFinding(f"RandomPassword/{COOKIE_SECRET}", "length", f"a {length}-byte cookie secret; "
                                    "OAuth2-Proxy takes 16, 24 or 32 bytes (fix: generate 32)")
        elif isinstance(secret, str) and secret not in _PLACEHOLDERS \
                and _cookie_length(secret) not in COOKIE_SECRET_LENGTHS:
            yield ObjectFinding(release_id(r), "values.config.cookieSecret", f"the cookie secret is "
                                f"{_cookie_length(secret)} bytes; OAuth2-Proxy takes 16, 24 or 32 (and it "
                                "must not be written in values: leave it to the generated secret)")


def bcrypt_rule(facts: RenderFacts) -> Iterator[ObjectFinding]:
    for r in facts.charts("dex"):
        users = ((r.get("values") or {}).get("config") or {}).get("staticPasswords") or []
        for i, user in enumerate(users):
            value, path = user.get("hash"), f"values.config.staticPasswords[{i}].hash"
            if value in _PLACEHOLDERS or (value is None and user.get("hashFromEnv")):
                # Ours: hashed at the configured cost, kept in the Dex Secret.
                cost = facts.bcrypt_cost
            else:
                cost = hash_cost(str(value))
                if cost is None:
                    yield ObjectFinding(release_id(r), path, "not a bcrypt hash (fix: give the password in "
                                        "secret config; the program hashes it)")
                    continue
            if cost < MIN_COST:
                yield ObjectFinding(release_id(r), path, f"bcrypt cost {cost} is below {MIN_COST}; the hash "
                                    "falls to guessing too fast (fix: raise addons.dex.bcryptCost)")


RULES = (issuer_rule, provider_rule, excluded_paths_rule, credential_rule, tls_verification_rule,
         cookie_secret_rule, bcrypt_rule)


def semantic_findings(facts: RenderFacts) -> list[ObjectFinding]:
    return sorted(f for rule in RULES for f in rule(facts))


def render_facts(result) -> RenderFacts:
    """The facts of a `render_stack` result."""
    from clusterforge.render import HELM_RELEASE, _release_doc

    return RenderFacts(
        objects=list(result.objects),
        releases=[_release_doc(reg) for reg in result.recording.of_type(HELM_RELEASE)],
        generated={reg.name: reg.inputs for reg in result.recording.of_type(RANDOM_PASSWORD)},
        bcrypt_cost=result.config.addons.dex.bcrypt_cost)
