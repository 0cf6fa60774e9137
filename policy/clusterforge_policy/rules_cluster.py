"""Policies about how the cluster fits together: load balancers, the CNI, read-only access, KWOK.

Each check takes (resources, facts, config) and returns the findings; no SDK involved.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Finding, Resource, StackFacts, closure, get, kubernetes_kind, walk
from .rules_values import HELM_TYPES


def _chart(r: Resource) -> str:
    return str(get(r.props, "chart", default="") or "").rsplit("/", 1)[-1]


def _releases(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.type in HELM_TYPES]


# What hands out external addresses: a MetalLB (or Cilium) pool, or a cloud's controller.
POOL_KINDS = ("metallb.io/", "cilium.io/")
POOL_TYPES = ("IPAddressPool", "CiliumLoadBalancerIPPool")
CLOUD_LB_CHARTS = ("aws-load-balancer-controller", "aws-cloud-controller-manager", "openstack-cloud-controller-manager",
                   "hcloud-cloud-controller-manager", "kube-vip-cloud-provider", "openelb")


def load_balancer_services(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    """(resource, where) for each Service of type LoadBalancer, declared or in chart values."""
    found = []
    for r in resources:
        if kubernetes_kind(r) == "Service" and get(r.props, "spec", "type") == "LoadBalancer":
            found.append((r, "spec.type"))
        elif r.type in HELM_TYPES:
            found += [(r, f"values.{path}") for path, key, value in walk(get(r.props, "values", default={}))
                      if key == "type" and value == "LoadBalancer"]
    return found


def has_address_pool(resources: Sequence[Resource], config: Mapping[str, Any]) -> bool:
    extra = tuple(config.get("loadBalancerProviders", ()))
    for r in resources:
        if r.type.startswith("kubernetes:") and r.type.rsplit(":", 1)[-1] in POOL_TYPES \
                and any(k in r.type for k in POOL_KINDS):
            return True
        if r.type in extra or (r.type in HELM_TYPES and _chart(r) in CLOUD_LB_CHARTS + extra):
            return True
    return False


def check_load_balancers(resources: Sequence[Resource], facts: StackFacts,
                         config: Mapping[str, Any]) -> list[Finding]:
    if has_address_pool(resources, config):
        return []
    return [Finding(r.urn, f"{r.name}: a Service of type LoadBalancer ({where}) but nothing in the stack hands "
                           "out addresses; it would stay pending. Enable MetalLB with an address pool "
                           "(addons.metallb) or a cloud load-balancer controller, or use ClusterIP/NodePort")
            for r, where in load_balancer_services(resources)]


CNI_CHARTS = ("tigera-operator", "calico", "cilium", "flannel", "canal", "antrea", "kube-ovn", "weave-net")


def check_addons_after_cni(resources: Sequence[Resource], facts: StackFacts,
                           config: Mapping[str, Any]) -> list[Finding]:
    """Every addon release and its objects wait (directly or not) for the CNI's release.

    A stack without a CNI release (kind brings its own) has nothing to order after.
    """
    cni_charts = CNI_CHARTS + tuple(config.get("cniCharts", ()))
    cnis = [r for r in _releases(resources) if _chart(r) in cni_charts]
    if not cnis:
        return []
    cni_urns = {r.urn for r in cnis}
    cni_parents = {r.parent for r in cnis if r.parent}
    deps = {r.urn: r.dependencies for r in resources}
    out = []
    for r in resources:
        addon_part = r.type in HELM_TYPES or r.parent_type == "clusterforge:addons:HelmAddon"
        if not addon_part or r.urn in cni_urns or r.parent in cni_parents:
            continue
        if not cni_urns & closure(deps, r.urn):
            names = ", ".join(sorted(c.name for c in cnis))
            out.append(Finding(r.urn, f"{r.name} does not wait for the CNI ({names}): pods would start without "
                                      "a network; make the addon depend on the CNI stage"))
    return out


READ_VERBS = {"get", "list", "watch"}
# Kubernetes' own `view` aggregation is read-only and leaves Secrets out by design.
SAFE_AGGREGATIONS = {("rbac.authorization.k8s.io/aggregate-to-view", "true")}
# The dashboard viewer and the tenants' cluster-wide view.
DEFAULT_ROLE_NAMES = ("clusterforge-read-only", "clusterforge-tenant-read-only")


def _labels(r: Resource) -> dict:
    return dict(get(r.props, "metadata", "labels", default={}) or {})


def _selected(selector: Mapping[str, Any], roles: Sequence[Resource]) -> list[Resource]:
    labels = dict(selector.get("matchLabels") or {})
    return [r for r in roles if labels and all(_labels(r).get(k) == v for k, v in labels.items())]


def read_only_roles(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Resource]:
    """The named read-only roles and every role they aggregate, in the stack."""
    names = set(config.get("roleNames", DEFAULT_ROLE_NAMES))
    roles = [r for r in resources if kubernetes_kind(r) in ("ClusterRole", "Role")]
    found = {r.urn: r for r in roles if get(r.props, "metadata", "name") in names}
    todo = list(found.values())
    while todo:
        role = todo.pop()
        for selector in get(role.props, "aggregationRule", "clusterRoleSelectors", default=[]) or []:
            for picked in _selected(selector, roles):
                if picked.urn not in found:
                    found[picked.urn] = picked
                    todo.append(picked)
    return [found[u] for u in sorted(found)]


def role_problems(role: Resource, roles: Sequence[Resource]) -> list[str]:
    problems = []
    for i, rule in enumerate(get(role.props, "rules", default=[]) or []):
        verbs = set(rule.get("verbs") or [])
        writes = sorted(verbs - READ_VERBS)
        if writes:
            problems.append(f"rules[{i}] grants {', '.join(writes)}")
        resources = set(rule.get("resources") or [])
        if resources & {"secrets", "*"}:
            problems.append(f"rules[{i}] reaches {'all resources' if '*' in resources else 'Secrets'}")
    for i, selector in enumerate(get(role.props, "aggregationRule", "clusterRoleSelectors", default=[]) or []):
        labels = set((selector.get("matchLabels") or {}).items())
        if selector.get("matchExpressions") or not labels:
            problems.append(f"aggregationRule.clusterRoleSelectors[{i}] cannot be checked (use matchLabels)")
        elif not labels <= SAFE_AGGREGATIONS and not _selected(selector, roles):
            problems.append(f"aggregationRule.clusterRoleSelectors[{i}] aggregates roles outside the stack "
                            f"({', '.join(f'{k}={v}' for k, v in sorted(labels))})")
    return problems


def check_read_only_dashboard(resources: Sequence[Resource], facts: StackFacts,
                              config: Mapping[str, Any]) -> list[Finding]:
    roles = [r for r in resources if kubernetes_kind(r) in ("ClusterRole", "Role")]
    ro = read_only_roles(resources, config)
    out = [Finding(r.urn, f"read-only role {get(r.props, 'metadata', 'name')}: {p}; keep it to "
                          "get/list/watch on everything but Secrets")
           for r in ro for p in role_problems(r, roles)]
    # The dashboard's own bindings may only grant the read-only roles.
    ro_names = {get(r.props, "metadata", "name") for r in ro}
    for r in resources:
        if kubernetes_kind(r) in ("ClusterRoleBinding", "RoleBinding") and r.parent.endswith("::dashboard") \
                and get(r.props, "roleRef", "name") not in ro_names:
            out.append(Finding(r.urn, f"{r.name}: the dashboard account is bound to "
                                      f"{get(r.props, 'roleRef', 'name')}, which is not a read-only role"))
    return out


EMULATION_COMPONENT = "clusterforge:emulation:Emulation"
# Host kinds whose every node is throwaway: kind's containers, kwokctl's processes.
EMULATED_KINDS = ("kind", "kwok")


def kwok_resources(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.type.startswith("kubernetes:kwok.x-k8s.io/") or r.parent_type == EMULATION_COMPONENT]


def check_kwok_only_emulated(resources: Sequence[Resource], facts: StackFacts,
                             config: Mapping[str, Any]) -> list[Finding]:
    """KWOK's fake nodes belong on throwaway clusters: kind or kwok stacks, or stacks opted in."""
    if facts.hosts_kind in EMULATED_KINDS or facts.name in set(config.get("allowedStacks", ())):
        return []
    kwok = kwok_resources(resources)
    groups = [r for r in kwok if r.type.startswith("command:")] or kwok
    where = f"stack {facts.name!r}" if facts.name else "this stack"
    return [Finding(r.urn, f"{r.name}: KWOK emulated nodes on {where}, whose hosts are "
                           f"{facts.hosts_kind or 'unknown'} rather than a kind or kwok cluster; fake nodes "
                           "would join a real cluster. Emulate on a kind or kwok stack, or opt in with this policy's "
                           "allowedStacks")
            for r in groups]
