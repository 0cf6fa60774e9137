"""Cross-field rules of the data-platform addons: what JupyterHub, the Spark operator and
Kubeflow Trainer need of the rest of the stack."""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.k8s_values import parse_quantity
from components.plan.addons.gpu import wanted as device_plugin_wanted
from components.plan.addons.jupyterhub import profile_enabled

# Prefixes the login, Dex and Grafana already hold on the gateway.
_TAKEN_PREFIXES = ("/dex/", "/oauth2/", "/grafana/")


def datalab_findings(cfg) -> list[Finding]:
    rules = (_jupyterhub_needs, _notebook_profiles, _spark_needs)
    return [finding for rule in rules for finding in rule(cfg)]


def _jupyterhub_needs(cfg) -> Iterator[Finding]:
    a = cfg.addons
    hub = a.jupyterhub
    if not hub.enabled:
        return
    path = "addons.jupyterhub.enabled"
    if not a.dex.enabled:
        yield Finding(path, "jupyterhub needs dex: users sign in to JupyterHub through Dex",
                      "set addons.dex.enabled: true (with staticUsers or connectors), or disable jupyterhub")
    if not a.istio.enabled:
        yield Finding(path, "jupyterhub needs istio: it is served only behind the secure gateway",
                      "set addons.istio.enabled: true (and addons.certManager), or disable jupyterhub")
    if not (a.openebs.enabled and a.openebs.default_class):
        yield Finding(path, "jupyterhub claims each user's storage from the default StorageClass, and this "
                      "stack declares none", "set addons.openebs.enabled: true with defaultClass: true")
    if hub.path_prefix.startswith(_TAKEN_PREFIXES):
        yield Finding("addons.jupyterhub.pathPrefix", f"{hub.path_prefix} is under a path the gateway already "
                      f"routes ({', '.join(_TAKEN_PREFIXES)})", "use a prefix of its own, such as /jupyter/")


def _notebook_profiles(cfg) -> Iterator[Finding]:
    hub = cfg.addons.jupyterhub
    if not hub.enabled:
        return
    profiles = {name: getattr(hub.profiles, name) for name in ("cpu", "gpu") if profile_enabled(cfg, name)}
    if not profiles:
        yield Finding("addons.jupyterhub.profiles", "every notebook profile is disabled: no server can start",
                      "enable profiles.cpu or profiles.gpu")
    for name, profile in profiles.items():
        base = join_path("addons", "jupyterhub", "profiles", name)
        for request, limit in (("cpu", "cpuLimit"), ("memory", "memoryLimit")):
            asked = getattr(profile, request)
            cap = getattr(profile, "cpu_limit" if request == "cpu" else "memory_limit")
            if parse_quantity(asked) > parse_quantity(cap):
                yield Finding(join_path(base, request), f"{request} {asked} is more than the {limit} {cap}: "
                              "Kubernetes rejects a request above its limit",
                              f"make {request} at most {limit}")
    gpu = hub.profiles.gpu
    if "gpu" in profiles and gpu.gpus == 0:
        yield Finding("addons.jupyterhub.profiles.gpu.gpus", "the GPU profile requests no GPU",
                      "request at least 1, or set profiles.gpu.enabled: false")
    if gpu.enabled and gpu.gpus and not device_plugin_wanted(cfg):
        yield Finding("addons.jupyterhub.profiles.gpu.enabled", "the GPU profile requests nvidia.com/gpu, which "
                      "no node offers without the NVIDIA device plugin (no host has GPUs, or the plugin is off)",
                      "give GPU hosts gpus (or set addons.nvidiaDevicePlugin.enabled: true), or set "
                      "profiles.gpu.enabled: false")


def _spark_needs(cfg) -> Iterator[Finding]:
    spark = cfg.addons.spark_operator
    if not spark.enabled:
        return
    if not cfg.tenants:
        yield Finding("addons.sparkOperator.enabled", "the Spark operator runs SparkApplications in the tenants' "
                      "namespaces, and the stack has no tenants", "add tenants, or disable sparkOperator")
    for i, tenant in enumerate(cfg.tenants):
        if tenant.name == spark.service_account:
            # The tenant's own account has the tenant's name: the two would be one object.
            yield Finding(join_path("tenants", i, "name"), f"tenant {tenant.name!r} has the name of the Spark "
                          "driver account (addons.sparkOperator.serviceAccount); both accounts would be one",
                          "rename the tenant, or set addons.sparkOperator.serviceAccount to another name")
