"""JupyterHub (the zero-to-jupyterhub chart) behind the secure gateway, signing users in
through Dex, with a volume per user and a CPU and a GPU server profile.

The hub is a Dex client of its own (GenericOAuthenticator). Its client secret is
generated (ingress_secrets.py) and reaches the hub as OAUTH_CLIENT_SECRET from a Secret
of our own, never through values. The hub talks to Dex over the gateway, verifying TLS
against the cluster CA (mounted from a ConfigMap), as OAuth2-Proxy does. The proxy's
Service stays ClusterIP: the gateway is the only way in.
"""
from __future__ import annotations

from components.config.k8s_values import parse_quantity
from components.plan.addons.gateway import route
from components.plan.addons.gpu import gpu_tolerations
from components.plan.addons.ingress_inputs import (CA_BUNDLE, CA_FILE, CA_FINGERPRINT_ANNOTATION,
                                                   SECRETS_DIGEST_ANNOTATION, IngressInputs, issuer_url,
                                                   public_url)
from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://hub.jupyter.org/helm-chart/"
RELEASE = "jupyterhub"
HUB_CLIENT_ID = "jupyterhub"
HUB_CLIENT_SECRET_ENV = "CLUSTERFORGE_JUPYTERHUB_CLIENT_SECRET"  # in Dex's Secret
OAUTH_SECRET = "jupyterhub-oauth"  # the hub's Secret: its Dex client secret
PROXY_SERVICE = "proxy-public"  # the chart's entry Service (configurable-http-proxy)
CA_DIR = "/etc/clusterforge-ca"
GPU = "nvidia.com/gpu"


def callback_url(cfg) -> str:
    return public_url(cfg, f"{cfg.addons.jupyterhub.path_prefix}hub/oauth_callback")


def dex_client(cfg) -> dict:
    """The hub's static client in Dex's config; Dex reads its secret from the environment."""
    return {"id": HUB_CLIENT_ID, "name": "JupyterHub", "secretEnv": HUB_CLIENT_SECRET_ENV,
            "redirectURIs": [callback_url(cfg)]}


def authenticator(cfg) -> dict:
    hub = cfg.addons.jupyterhub
    issuer = issuer_url(cfg)
    settings = {
        "login_service": "Dex",
        "client_id": HUB_CLIENT_ID,
        "oauth_callback_url": callback_url(cfg),
        "authorize_url": f"{issuer}/auth",
        "token_url": f"{issuer}/token",
        "userdata_url": f"{issuer}/userinfo",
        "scope": ["openid", "email", "profile", "groups"],
        "username_claim": "email",
        # Token and userinfo requests go to Dex over the gateway, whose certificate is the CA's.
        "http_request_kwargs": {"ca_certs": f"{CA_DIR}/{CA_FILE}"},
        "admin_users": list(hub.admin_users),
    }
    if hub.allowed_users:
        settings["allowed_users"] = list(hub.allowed_users)
    else:
        settings["allow_all"] = True  # everyone Dex signs in; Dex holds the user list
    return settings


def _profile(cfg, slug: str, name: str, profile, default: bool) -> dict:
    override = {"cpu_guarantee": float(parse_quantity(profile.cpu)),
                "cpu_limit": float(parse_quantity(profile.cpu_limit)),
                "mem_guarantee": int(parse_quantity(profile.memory)),
                "mem_limit": int(parse_quantity(profile.memory_limit))}
    if profile.gpus:
        gpus = str(profile.gpus)
        override["extra_resource_guarantees"] = {GPU: gpus}
        override["extra_resource_limits"] = {GPU: gpus}
        override["node_selector"] = dict(cfg.addons.nvidia_device_plugin.node_selector)
        tolerations = gpu_tolerations(cfg)
        if tolerations:
            override["tolerations"] = tolerations
    return {"display_name": name, "slug": slug, "default": default,
            "description": f"{profile.cpu}-{profile.cpu_limit} CPU, {profile.memory}-{profile.memory_limit} memory"
                           + (f", {profile.gpus} GPU" if profile.gpus else ""),
            "kubespawner_override": override}


def profile_enabled(cfg, name: str) -> bool:
    """Explicit setting, else: the CPU profile always, the GPU one where the device plugin runs."""
    from components.plan.addons.gpu import wanted

    enabled = getattr(cfg.addons.jupyterhub.profiles, name).enabled
    return enabled if enabled is not None else (name == "cpu" or wanted(cfg))


def profiles(cfg) -> list[dict]:
    p = cfg.addons.jupyterhub.profiles
    cpu, gpu = profile_enabled(cfg, "cpu"), profile_enabled(cfg, "gpu")
    out = []
    if cpu:
        out.append(_profile(cfg, "cpu", "CPU server", p.cpu, default=True))
    if gpu:
        out.append(_profile(cfg, "gpu", "GPU server", p.gpu, default=not cpu))
    return out


def jupyterhub(cfg, ingress: IngressInputs) -> AddonSpec:
    hub = cfg.addons.jupyterhub
    values = {
        "hub": {
            "baseUrl": hub.path_prefix,
            "config": {"JupyterHub": {"authenticator_class": "generic-oauth"},
                       "GenericOAuthenticator": authenticator(cfg)},
            "extraEnv": {"OAUTH_CLIENT_SECRET": {"valueFrom": {"secretKeyRef": {"name": OAUTH_SECRET,
                                                                                "key": "client-secret"}}}},
            "extraVolumes": [{"name": "clusterforge-ca", "configMap": {"name": CA_BUNDLE}}],
            "extraVolumeMounts": [{"name": "clusterforge-ca", "mountPath": CA_DIR, "readOnly": True}],
            # Both are read at start: a new CA or client secret restarts the hub.
            "annotations": {CA_FINGERPRINT_ANNOTATION: ingress.ca_fingerprint,
                            SECRETS_DIGEST_ANNOTATION: ingress.secrets_digest([ingress.jupyterhub_client_secret])},
        },
        "proxy": {"service": {"type": "ClusterIP"}},
        # No storageClass: the claim goes to the cluster's default StorageClass.
        "singleuser": {"storage": {"type": "dynamic", "capacity": hub.storage_size},
                       "profileList": profiles(cfg)},
    }
    prerequisites = (
        obj("v1", "ConfigMap", CA_BUNDLE, hub.namespace, data={CA_FILE: ingress.ca_cert_pem}),
        obj("v1", "Secret", OAUTH_SECRET, hub.namespace, type="Opaque",
            stringData={"client-secret": ingress.jupyterhub_client_secret}),
    )
    # The hub serves under its prefix itself; the login's Authorization header stays out.
    objects = (route(cfg, "jupyterhub", hub.namespace, hub.path_prefix, PROXY_SERVICE, 80, app=True,
                     strip_prefix=False),)
    return AddonSpec(key="jupyterhub", release=RELEASE, namespace=hub.namespace, chart="jupyterhub",
                     repository=REPOSITORY, version=hub.version, values=merge_values(values, hub.values),
                     depends_on=("dex", "istioGateway"), prerequisites=prerequisites, objects=objects)
