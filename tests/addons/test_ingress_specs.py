"""Secure ingress addon specs from config (pure): charts, values, objects, and the helpers
they rely on (oauth2_proxy.cfg, durations, bcrypt hashes)."""
from __future__ import annotations

import tomllib

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from clusterforge.validate import CrdSchemas, validate_object
from components.plan.addons.catalog import all_addons, crd_sources, enabled_core_addons, namespace_plans
from components.plan.addons.dex import CLIENT_SECRET_ENV, DEX_SECRETS, hash_env, user_id
from components.plan.addons.gateway import route
from components.plan.addons.ingress_inputs import (AUTH_EXCLUDED_PATHS, PLANNED, SECRETS_DIGEST_ANNOTATION,
                                                   issuer_url)
from components.plan.addons.oauth2_proxy import toml
from components.plan.addons.passwords import derived_salt, hash_cost, password_hash
from components.config.ingress import duration_seconds


def config(**overrides):
    cfg, _ = prepare_offline(apply_overrides(read_stack("homelab"), overrides))
    return cfg


def specs(**overrides):
    return enabled_core_addons(config(**overrides))


def kinds(spec) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for o in spec.objects:
        out.setdefault(o["kind"], []).append(o)
    return out


def test_cert_manager_installs_crds_and_a_ca_issuer_from_its_own_namespace():
    cm = specs()["certManager"]
    assert (cm.repository, cm.chart, cm.namespace) == ("https://charts.jetstack.io", "cert-manager", "cert-manager")
    assert cm.values["crds"] == {"enabled": True, "keep": True}
    [secret], [issuer] = kinds(cm)["Secret"], kinds(cm)["ClusterIssuer"]
    assert secret["type"] == "kubernetes.io/tls" and secret["metadata"]["namespace"] == cm.namespace
    assert set(secret["stringData"]) == {"tls.crt", "tls.key"}
    assert issuer["spec"] == {"ca": {"secretName": secret["metadata"]["name"]}}


def test_istio_charts_share_one_version_and_namespace_owner():
    s = specs()
    base, istiod, gateway = s["istioBase"], s["istiod"], s["istioGateway"]
    assert {base.version, istiod.version, gateway.version} == {"1.29.9"}
    assert (base.chart, istiod.chart, gateway.chart) == ("base", "istiod", "gateway")
    plans = namespace_plans(s)
    assert istiod.namespace == base.namespace and plans[base.namespace].owner == "istioBase"
    assert gateway.namespace == "ingress" and plans["ingress"].owner == "istioGateway"
    assert "istioBase" in istiod.depends_on and {"istiod", "certManager", "metallb"} <= set(gateway.depends_on)


def test_istiod_mesh_config_registers_the_authorizer_and_native_sidecars():
    values = specs()["istiod"].values
    mesh = values["meshConfig"]
    [provider] = mesh["extensionProviders"]
    http = provider["envoyExtAuthzHttp"]
    assert provider["name"] == "oauth2-proxy"
    assert (http["service"], http["port"]) == ("oauth2-proxy.oauth2-proxy.svc.cluster.local", 80)
    assert http["includeRequestHeadersInCheck"] == ["authorization", "cookie"]
    assert "authorization" in http["headersToUpstreamOnAllow"] and "set-cookie" in http["headersToDownstreamOnDeny"]
    assert mesh["pathNormalization"] == {"normalization": "MERGE_SLASHES"}
    assert mesh["defaultConfig"]["holdApplicationUntilProxyStarts"] is True
    assert values["env"] == {"ENABLE_NATIVE_SIDECARS": "true", "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL": "1m"}
    assert values["jwksResolverExtraRootCA"] is PLANNED  # the CA, known at deploy time
    off = specs(**{"addons.istio.nativeSidecars": False, "addons.istio.trainingExample.enabled": False})
    assert off["istiod"].values["env"]["ENABLE_NATIVE_SIDECARS"] == "false"
    assert "Job" not in kinds(off["istiod"])


def test_header_lists_come_from_config():
    cfg = config(**{"addons.oauth2Proxy.headers.includeRequestHeadersInCheck": ["cookie"]})
    http = enabled_core_addons(cfg)["istiod"].values["meshConfig"]["extensionProviders"][0]["envoyExtAuthzHttp"]
    assert http["includeRequestHeadersInCheck"] == ["cookie"]


def test_training_example_job_runs_in_an_injected_namespace():
    istiod = specs(**{"addons.istio.trainingExample.enabled": True})["istiod"]  # off unless asked for
    [ns], [job] = kinds(istiod)["Namespace"], kinds(istiod)["Job"]
    assert ns["metadata"] == {"name": "training", "labels": {"istio-injection": "enabled"}}
    assert job["metadata"]["namespace"] == "training"
    pod = job["spec"]["template"]["spec"]
    assert job["spec"]["backoffLimit"] == 0 and pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["command"][0] == "curl"  # its first step is a network call


def test_strict_mtls_is_mesh_wide_and_optional():
    assert "PeerAuthentication" not in kinds(specs()["istiod"])
    [pa] = kinds(specs(**{"addons.istio.strictMtls": True})["istiod"])["PeerAuthentication"]
    assert pa["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert pa["spec"] == {"mtls": {"mode": "STRICT"}}  # no selector: the whole mesh


def test_gateway_is_a_metallb_service_with_https_and_a_redirect():
    gw = specs()["istioGateway"]
    assert gw.values["service"] == {"type": "LoadBalancer",
                                    "annotations": {"metallb.io/loadBalancerIPs": "192.168.10.200"}}
    k = kinds(gw)
    [cert], [gateway] = k["Certificate"], k["Gateway"]
    assert cert["metadata"]["namespace"] == gateway["metadata"]["namespace"] == "ingress"
    assert cert["spec"]["ipAddresses"] == ["192.168.10.200"] and "dnsNames" not in cert["spec"]
    assert (cert["spec"]["duration"], cert["spec"]["renewBefore"]) == ("2160h", "360h")
    assert cert["spec"]["issuerRef"]["kind"] == "ClusterIssuer"
    http, https = gateway["spec"]["servers"]
    assert http["tls"] == {"httpsRedirect": True}
    assert https["tls"]["credentialName"] == cert["spec"]["secretName"] and https["tls"]["mode"] == "SIMPLE"
    named = kinds(specs(**{"addons.istio.gateway.hostnames": ["sso.home.arpa"]})["istioGateway"])
    assert named["Certificate"][0]["spec"]["dnsNames"] == ["sso.home.arpa"]
    assert named["Gateway"][0]["spec"]["servers"][1]["hosts"] == ["sso.home.arpa"]


def test_login_policy_excludes_the_login_and_the_strict_form_is_optional():
    loose = kinds(specs(**{"addons.oauth2Proxy.requireJwt": False})["istioGateway"])
    [custom] = loose["AuthorizationPolicy"]
    assert "RequestAuthentication" not in loose
    assert custom["spec"]["action"] == "CUSTOM" and custom["spec"]["provider"] == {"name": "oauth2-proxy"}
    # Without the JWT checks, a request's own Authorization header must not skip the login.
    assert custom["spec"]["rules"] == [{"to": [{"operation": {"notPaths": list(AUTH_EXCLUDED_PATHS)}}]}]
    strict = kinds(specs()["istioGateway"])
    deny = next(p for p in strict["AuthorizationPolicy"] if p["spec"]["action"] == "DENY")
    assert deny["spec"]["rules"][0]["from"] == [{"source": {"notRequestPrincipals": ["*"]}}]
    [ra] = strict["RequestAuthentication"]
    assert ra["spec"]["jwtRules"][0]["issuer"] == "https://192.168.10.200/dex"
    assert AUTH_EXCLUDED_PATHS == ("/dex/*", "/dex/**", "/oauth2/*")


def test_gateway_api_form_binds_to_the_same_deployment():
    s = specs(**{"addons.istio.gateway.api": "gateway-api"})
    k = kinds(s["istioGateway"])
    [gateway] = k["Gateway"]
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert gateway["spec"]["addresses"] == [{"type": "Hostname",
                                             "value": "istio-ingressgateway.ingress.svc.cluster.local"}]
    [redirect] = k["HTTPRoute"]
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
    assert s["istioBase"].manifests == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.0/standard-install.yaml",)
    [dex_route] = s["dex"].objects
    assert dex_route["kind"] == "HTTPRoute" and dex_route["spec"]["rules"][0]["backendRefs"] == [
        {"name": "dex", "port": 5556}]


def test_apps_behind_the_login_get_their_own_paths_and_no_token():
    cfg = config()
    plain = route(cfg, "dex", "auth", "/dex/", "dex", 5556)
    # Dex keeps its prefix and the clients' own Authorization (client_secret_basic).
    assert set(plain["spec"]["http"][0]) == {"match", "route"} and plain["spec"]["gateways"] == ["ingress/clusterforge"]
    grafana = route(cfg, "grafana", "monitoring", "/grafana/", "grafana", 80, app=True)["spec"]["http"][0]
    assert grafana["rewrite"] == {"uri": "/"} and grafana["headers"] == {"request": {"remove": ["authorization"]}}
    api = route(config(**{"addons.istio.gateway.api": "gateway-api"}), "grafana", "monitoring", "/grafana/",
                "grafana", 80, app=True)
    assert [f["type"] for f in api["spec"]["rules"][0]["filters"]] == ["URLRewrite", "RequestHeaderModifier"]


def test_dex_config_issuer_users_client_and_connectors():
    cfg = config(**{"addons.dex.connectors": [{"type": "github", "id": "gh", "name": "GitHub",
                                               "config": {"clientID": "x", "clientSecret": "$GH_SECRET"}}],
                    "addons.dex.connectorSecrets": {"GH_SECRET": "dexGithubSecret"}})
    dex = enabled_core_addons(cfg)["dex"]
    conf = dex.values["config"]
    assert conf["issuer"] == issuer_url(cfg) == "https://192.168.10.200/dex"
    assert conf["storage"] == {"type": "kubernetes", "config": {"inCluster": True}}
    [user] = conf["staticPasswords"]
    assert user["userID"] == user_id("Admin@home.arpa") and user["hashFromEnv"] == hash_env(0) and "hash" not in user
    # The login's client, and kubectl's (homelab builds its API server with kubeadm: SSO is on).
    client, kubectl = conf["staticClients"]
    assert kubectl["id"] == "kubernetes" and kubectl["public"] is True
    assert client["redirectURIs"] == ["https://192.168.10.200/oauth2/callback"]
    assert client["secretEnv"] == CLIENT_SECRET_ENV and "secret" not in client
    assert conf["connectors"][0]["config"]["clientSecret"] == "$GH_SECRET"
    # Every secret Dex reads is in our Secret, as environment; none is in the values.
    [secret] = dex.prerequisites
    assert secret["metadata"]["name"] == DEX_SECRETS
    assert set(secret["stringData"]) == {CLIENT_SECRET_ENV, hash_env(0), "GH_SECRET"}
    assert all(v is PLANNED for v in secret["stringData"].values())
    assert dex.values["envFrom"] == [{"secretRef": {"name": DEX_SECRETS}}]
    assert dex.values["podAnnotations"] == {SECRETS_DIGEST_ANNOTATION: PLANNED}
    assert dex.namespace_labels == {"istio-injection": "enabled"}


def test_issuer_uses_the_first_hostname_when_there_is_one():
    cfg = config(**{"addons.istio.gateway.hostnames": ["sso.home.arpa", "login.home.arpa"]})
    assert issuer_url(cfg) == "https://sso.home.arpa/dex"


def test_oauth2_proxy_config_verifies_tls_and_holds_no_secret():
    o = specs()["oauth2Proxy"]
    settings = tomllib.loads(o.values["config"]["configFile"])
    assert settings["oidc_issuer_url"] == "https://192.168.10.200/dex"
    assert settings["provider_ca_files"] == ["/etc/clusterforge-ca/ca.crt"]
    assert settings["upstreams"] == ["static://200"] and settings["skip_provider_button"] is True
    assert (settings["api_routes"], settings["skip_auth_routes"]) == (["^/api/", "^/grafana/api/"], ["^/dex/"])
    assert (settings["cookie_secure"], settings["cookie_httponly"], settings["cookie_samesite"]) == (True, True, "lax")
    assert not {k for k in settings if "secret" in k or "insecure" in k}
    assert not {"clientSecret", "cookieSecret"} & set(o.values["config"])
    [bundle, credentials] = o.prerequisites  # read by the pods: they must exist before the release
    assert o.values["config"]["existingSecret"] == credentials["metadata"]["name"]
    assert set(credentials["stringData"]) == {"client-id", "client-secret", "cookie-secret"}
    assert credentials["stringData"]["cookie-secret"] is PLANNED
    assert bundle["kind"] == "ConfigMap" and o.values["extraVolumes"][0]["configMap"]["name"] == \
        bundle["metadata"]["name"]
    grafana = [r for r in o.objects if r["metadata"]["name"] == "grafana"]
    assert grafana and "prometheus" in o.depends_on
    alone = specs(**{"addons.istio.gateway.exposeGrafana": False})
    assert [r["metadata"]["name"] for r in alone["oauth2Proxy"].objects] == ["oauth2-proxy"]
    assert "istiod" not in alone["prometheus"].depends_on


def test_grafana_behind_the_gateway_gets_its_url_and_a_sidecar():
    grafana = specs()["prometheus"].values["grafana"]
    assert grafana["grafana.ini"]["server"]["root_url"] == "https://192.168.10.200/grafana/"
    assert grafana["podLabels"] == {"sidecar.istio.io/inject": "true"}
    assert grafana["sidecar"]["dashboards"]["enabled"] is True  # merged, not replaced


def test_crd_sources_follow_the_pinned_versions():
    sources = dict(crd_sources(config(**{"addons.istio.gateway.api": "gateway-api"})))
    assert sources["cert-manager-v1.19.4.crds.yaml"].endswith("/download/v1.19.4/cert-manager.crds.yaml")
    assert "/istio/1.29.9/manifests/charts/base/files/crd-all.gen.yaml" in sources["istio-1.29.9-crd-all.gen.yaml"]
    assert "/v1.4.0/standard-install.yaml" in sources["gateway-api-v1.4.0-standard-install.yaml"]


@pytest.mark.parametrize("overrides", [{}, {"addons.istio.gateway.api": "gateway-api", "addons.istio.strictMtls": True,
                                            "addons.istio.gateway.hostnames": ["sso.home.arpa"]}])
def test_every_ingress_object_passes_the_schemas(overrides, crd_dir):
    cfg = config(**overrides)
    crds = CrdSchemas(crd_dir)
    for spec in all_addons(cfg).values():
        for obj in (*spec.prerequisites, *spec.objects):
            assert validate_object(obj, cfg.kubernetes.version, crds) == [], obj


_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True),
                       st.one_of(_TEXT, st.booleans(), st.lists(_TEXT, max_size=4)), max_size=8))
def test_oauth2_proxy_cfg_is_toml_that_reads_back(settings):
    assert tomllib.loads(toml(settings)) == settings


@given(h=st.integers(0, 99999), m=st.integers(0, 59), s=st.integers(0, 59), parts=st.sets(st.sampled_from("hms"),
                                                                                          min_size=1))
def test_durations_read_as_go_writes_them(h, m, s, parts):
    text = "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if u in parts)
    expected = (h * 3600 if "h" in parts else 0) + (m * 60 if "m" in parts else 0) + (s if "s" in parts else 0)
    assert duration_seconds(text) == expected
    for bad in ("", "90d", "1.5h", "h", text + "x"):
        with pytest.raises(ValueError):
            duration_seconds(bad)


@settings(max_examples=12, deadline=None)
@given(password=st.text(min_size=1, max_size=24), key=st.binary(min_size=16, max_size=32),
       email=st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.org", fullmatch=True))
def test_password_hashes_are_bcrypt_stable_and_salted_per_user(password, key, email):
    first = password_hash(password, key, email, 10)
    assert first == password_hash(password, key, email.upper(), 10)  # same on every run
    assert hash_cost(first) == 10 and bcrypt.checkpw(password.encode(), first.encode())
    assert derived_salt(key, email, 10) != derived_salt(key, "x" + email, 10)
    assert derived_salt(key, email, 10) != derived_salt(bytes(reversed(key)) + b"!", email, 10)


def test_password_hash_refuses_what_bcrypt_cannot_keep():
    with pytest.raises(ValueError, match="at most 72"):
        password_hash("x" * 73, b"k" * 32, "a@b.org", 10)
    with pytest.raises(ValueError, match="below 10"):
        password_hash("secret", b"k" * 32, "a@b.org", 9)
    assert hash_cost("$2b$04$JZ7tf6zviqaqvaeH4ussvugHgRRZpWUyLFCV8L6ygfZGbJy8n.rlu") == 4
    assert hash_cost("password") is None


def test_a_planned_stand_in_can_never_be_deployed():
    import asyncio

    from pulumi.runtime import rpc

    values = specs()["oauth2Proxy"].values
    assert values["podAnnotations"][SECRETS_DIGEST_ANNOTATION] is PLANNED
    with pytest.raises(ValueError, match="unexpected input of type _Planned"):
        asyncio.run(rpc.serialize_property(values, [], None, None))
