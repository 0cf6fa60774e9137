"""The ingress gateway: the `gateway` chart in its own namespace behind a MetalLB address,
its certificate from the cluster CA, HTTPS with HTTP redirected, and the login in front.

Every request except the login's own paths goes to OAuth2-Proxy (an AuthorizationPolicy
with action CUSTOM). The policies are objects of the gateway, so they exist before any
route does: nothing is ever served without them.
"""
from __future__ import annotations

from components.plan.addons.ingress_inputs import (AUTH_EXCLUDED_PATHS, CA_ISSUER, EXT_AUTHZ_PROVIDER,
                                                   GATEWAY, GATEWAY_RELEASE, GATEWAY_TLS_SECRET,
                                                   IngressInputs, cluster_host, gateway_hosts,
                                                   gateway_pod_labels, issuer_url)
from components.plan.addons.istio import REPOSITORY
from components.plan.addons.spec import AddonSpec, merge_values, obj


def istio_gateway(cfg, ingress: IngressInputs) -> AddonSpec:
    i = cfg.addons.istio
    gw = i.gateway
    service = {"type": "LoadBalancer"}
    if gw.address is not None:
        service["annotations"] = {"metallb.io/loadBalancerIPs": str(gw.address)}
    values = {"service": service}
    objects = [certificate(cfg, ingress), *gateway_objects(cfg)]
    if cfg.addons.oauth2_proxy.enabled:
        objects += authorization(cfg)
    return AddonSpec(key="istioGateway", release=GATEWAY_RELEASE, namespace=gw.namespace, chart="gateway",
                     repository=REPOSITORY, version=i.version, values=merge_values(values, gw.values),
                     depends_on=("istiod", "certManager"), objects=tuple(objects))


def certificate(cfg, ingress: IngressInputs) -> dict:
    cm, gw = cfg.addons.cert_manager, cfg.addons.istio.gateway
    spec = {
        "secretName": GATEWAY_TLS_SECRET,
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": CA_ISSUER},
        "duration": cm.certificate_duration,
        "renewBefore": cm.certificate_renew_before,
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["server auth", "digital signature"],
        # The CA's fingerprint in the subject: a new CA no longer matches the issued
        # certificate, so cert-manager issues a new one from it.
        "subject": {"organizationalUnits": [ingress.ca_fingerprint]},
    }
    if gw.hostnames:
        spec["commonName"] = gw.hostnames[0]
        spec["dnsNames"] = list(gw.hostnames)
    if gw.address is not None:
        spec["ipAddresses"] = [str(gw.address)]
    return obj("cert-manager.io/v1", "Certificate", GATEWAY, gw.namespace, spec=spec)


def gateway_objects(cfg) -> list[dict]:
    gw = cfg.addons.istio.gateway
    if gw.api == "istio":
        servers = [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": gateway_hosts(cfg),
             "tls": {"httpsRedirect": True}},
            {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": gateway_hosts(cfg),
             "tls": {"mode": "SIMPLE", "credentialName": GATEWAY_TLS_SECRET, "minProtocolVersion": "TLSV1_2"}},
        ]
        selector = {"istio": gateway_pod_labels()["istio"]}
        return [obj("networking.istio.io/v1", "Gateway", GATEWAY, gw.namespace,
                    spec={"selector": selector, "servers": servers})]
    https = {"name": "https", "port": 443, "protocol": "HTTPS",
             "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": GATEWAY_TLS_SECRET}]},
             "allowedRoutes": {"namespaces": {"from": "All"}}}
    if gw.hostnames:
        https["hostname"] = gw.hostnames[0]
    gateway = obj("gateway.networking.k8s.io/v1", "Gateway", GATEWAY, gw.namespace, spec={
        "gatewayClassName": "istio",
        # Bound to the chart's deployment (Istio's manual deployment mode), so both APIs
        # share one Service and one MetalLB address.
        "addresses": [{"type": "Hostname", "value": cluster_host(GATEWAY_RELEASE, gw.namespace, cfg)}],
        "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                       "allowedRoutes": {"namespaces": {"from": "Same"}}}, https],
    })
    redirect = obj("gateway.networking.k8s.io/v1", "HTTPRoute", "https-redirect", gw.namespace, spec={
        "parentRefs": [{"name": GATEWAY, "sectionName": "http"}],
        "rules": [{"filters": [{"type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
    })
    return [gateway, redirect]


def route(cfg, name: str, namespace: str, prefix: str, service: str, port: int, app: bool = False,
          strip_prefix: bool = True) -> dict:
    """`prefix` (ending in /) on the gateway -> a Service; VirtualService or HTTPRoute.

    An `app` behind the login sees its own paths (the prefix becomes /, unless
    `strip_prefix` is off for an app that serves under the prefix itself) and no
    Authorization header: the login's token is for the gateway, and an app such as
    Grafana would take it for an API key of its own.
    """
    gw = cfg.addons.istio.gateway
    if gw.api == "istio":
        http = {"match": [{"uri": {"prefix": prefix}}],
                "route": [{"destination": {"host": cluster_host(service, namespace, cfg), "port": {"number": port}}}]}
        if app and strip_prefix:
            http["rewrite"] = {"uri": "/"}
        if app:
            http["headers"] = {"request": {"remove": ["authorization"]}}
        return obj("networking.istio.io/v1", "VirtualService", name, namespace,
                   spec={"hosts": gateway_hosts(cfg), "gateways": [f"{gw.namespace}/{GATEWAY}"], "http": [http]})
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": prefix}}],
            "backendRefs": [{"name": service, "port": port}]}
    if app:
        rewrite = [{"type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
        rule["filters"] = [*(rewrite if strip_prefix else []),
                           {"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": ["Authorization"]}}]
    spec = {"parentRefs": [{"name": GATEWAY, "namespace": gw.namespace, "sectionName": "https"}], "rules": [rule]}
    if gw.hostnames:
        spec["hostnames"] = list(gw.hostnames)
    return obj("gateway.networking.k8s.io/v1", "HTTPRoute", name, namespace, spec=spec)


def authorization(cfg) -> list[dict]:
    """CUSTOM policy to OAuth2-Proxy; with requireJwt, Kubeflow's stricter form as well."""
    ns = cfg.addons.istio.gateway.namespace
    selector = {"matchLabels": gateway_pod_labels()}
    login_paths = {"operation": {"notPaths": list(AUTH_EXCLUDED_PATHS)}}
    rule = {"to": [login_paths]}
    objects = []
    if cfg.addons.oauth2_proxy.require_jwt:
        # Requests that bring a token are checked by RequestAuthentication and the DENY
        # policy below; only the others go to OAuth2-Proxy (which then adds a token).
        rule["when"] = [{"key": "request.headers[authorization]", "notValues": ["*"]}]
        objects += [
            obj("security.istio.io/v1", "RequestAuthentication", "dex-jwt", ns, spec={
                "selector": selector,
                "jwtRules": [{"issuer": issuer_url(cfg), "jwksUri": f"{issuer_url(cfg)}/keys",
                              "forwardOriginalToken": True,
                              "fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}]}],
            }),
            obj("security.istio.io/v1", "AuthorizationPolicy", "require-jwt", ns, spec={
                "selector": selector, "action": "DENY",
                "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}], "to": [login_paths]}],
            }),
        ]
    objects.insert(0, obj("security.istio.io/v1", "AuthorizationPolicy", "oauth2-proxy", ns, spec={
        "selector": selector, "action": "CUSTOM", "provider": {"name": EXT_AUTHZ_PROVIDER}, "rules": [rule]}))
    return objects
