"""The tenant rules: names unique and not taken by Kubernetes or an addon, quotas that fit
the limit range's defaults, groups only where SSO can honour them."""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.k8s_values import parse_quantity
from components.plan.addons.catalog import BUILTIN_NAMESPACES, all_addons
from components.plan.sso import kubeadm_built


def tenants_findings(cfg) -> list[Finding]:
    return [*_duplicates(cfg.tenants), *_taken_namespaces(cfg), *_quota_fits_defaults(cfg.tenants),
            *_groups_need_sso(cfg)]


def _groups_need_sso(cfg) -> Iterator[Finding]:
    """Groups come from Dex's tokens, which only an API server we configure trusts."""
    for i, tenant in enumerate(cfg.tenants):
        if not tenant.groups:
            continue
        path = join_path("tenants", i, "groups")
        if not cfg.addons.dex.enabled:
            yield Finding(path, f"tenant {tenant.name!r} lists groups for single sign-on, and Dex is not "
                          "enabled", "enable addons.dex (with the secure ingress addons), or remove the groups")
        elif not kubeadm_built(cfg):
            yield Finding(path, f"tenant {tenant.name!r} lists groups for single sign-on, and a "
                          f"{cfg.hosts.kind} cluster's API server is not configured by clusterforge",
                          "use groups on a kubeadm-built stack (proxmox, aws, existing), or remove them")


def _duplicates(tenants) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, tenant in enumerate(tenants):
        if tenant.name in seen:
            yield Finding(join_path("tenants", i, "name"), f"tenant {tenant.name!r} is declared more than once",
                          "give every tenant its own name, or merge the entries")
        seen.add(tenant.name)


def _taken_namespaces(cfg) -> Iterator[Finding]:
    addon_namespaces = {spec.namespace: key for key, spec in all_addons(cfg).items()}
    for i, tenant in enumerate(cfg.tenants):
        path = join_path("tenants", i, "name")
        if tenant.name in BUILTIN_NAMESPACES or tenant.name.startswith("kube-"):
            yield Finding(path, f"{tenant.name!r} is a system namespace",
                          "pick another name; default and kube-* belong to Kubernetes")
        elif tenant.name in addon_namespaces:
            yield Finding(path, f"namespace {tenant.name!r} belongs to the addon "
                          f"{addon_namespaces[tenant.name]!r}",
                          "rename the tenant, or move the addon to another namespace")


# quota key -> the LimitRange defaults (request, limit) that must fit under it.
_DEFAULTS = {"cpu": ("defaultCpuRequest", "defaultCpuLimit"),
             "memory": ("defaultMemoryRequest", "defaultMemoryLimit")}


def _limit(tenant, camel: str) -> str:
    return getattr(tenant.limits, "".join("_" + c.lower() if c.isupper() else c for c in camel))


def _quota_fits_defaults(tenants) -> Iterator[Finding]:
    """A quota below the per-container defaults rejects every pod that names no resources."""
    for i, tenant in enumerate(tenants):
        for quota_key, (request_key, limit_key) in _DEFAULTS.items():
            hard = getattr(tenant.quota, quota_key)
            for key in (request_key, limit_key):
                default = _limit(tenant, key)
                if parse_quantity(default) > parse_quantity(hard):
                    yield Finding(join_path("tenants", i, "quota", quota_key),
                                  f"{quota_key} quota {hard} is below the limit range's {key} {default}: "
                                  "no pod that takes the defaults fits",
                                  f"raise quota.{quota_key} to at least {default}, or lower limits.{key}")
            if parse_quantity(_limit(tenant, request_key)) > parse_quantity(_limit(tenant, limit_key)):
                yield Finding(join_path("tenants", i, "limits", request_key),
                              f"the {request_key} exceeds the {limit_key}",
                              f"make {request_key} at most {limit_key}")

