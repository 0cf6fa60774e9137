"""The policies of the pack: name, description, check and config, and how levels are chosen.

Every policy is mandatory unless the policy-pack config (the file given to
`--policy-pack-config`, same format offline) says otherwise:

    {"all": "advisory", "helm-release-pinned": {"enforcementLevel": "mandatory"}}
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Finding, Resource, StackFacts
from .rules_cluster import (check_addons_after_cni, check_kwok_only_emulated, check_load_balancers,
                            check_read_only_dashboard)
from .rules_values import check_helm_pinned, check_secret_outputs, check_tls

Check = Callable[[Sequence[Resource], StackFacts, Mapping[str, Any]], list[Finding]]
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
DEFAULT_LEVEL = "mandatory"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    description: str
    check: Check
    # JSON-schema properties of the policy's own config (besides enforcementLevel).
    config: Mapping[str, Any] = field(default_factory=dict)


_NAMES = {"type": "array", "items": {"type": "string"}}

POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec("no-tls-verification-disabled",
               "No resource switches TLS certificate verification off.", check_tls),
    PolicySpec("helm-release-pinned",
               "Every Helm release is pinned to one exact chart version.", check_helm_pinned),
    PolicySpec("load-balancer-needs-address-pool",
               "A Service of type LoadBalancer needs a MetalLB pool or a cloud load balancer in the stack.",
               check_load_balancers, {"loadBalancerProviders": _NAMES}),
    PolicySpec("secrets-as-secret-outputs",
               "Credentials travel only as secrets: credential outputs are secret outputs, never plain text.",
               check_secret_outputs),
    PolicySpec("addons-depend-on-cni",
               "Every addon waits for the CNI.", check_addons_after_cni, {"cniCharts": _NAMES}),
    PolicySpec("read-only-dashboard",
               "The dashboard's read-only role has no write verbs and no access to Secrets.",
               check_read_only_dashboard, {"roleNames": _NAMES}),
    PolicySpec("kwok-only-on-emulated-stacks",
               "KWOK emulated node groups only on emulated (kind) stacks, or stacks opted in by name.",
               check_kwok_only_emulated, {"allowedStacks": _NAMES}),
)


class PolicyConfigError(ValueError):
    pass


def _entry(pack_config: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = pack_config.get(name, {})
    if isinstance(value, str):
        return {"enforcementLevel": value}
    if not isinstance(value, Mapping):
        raise PolicyConfigError(f"policy config {name!r}: give a level ({', '.join(LEVELS)}) or an object")
    return dict(value)


def resolve(pack_config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """policy name -> (enforcement level, its own config), as the Pulumi engine resolves them."""
    known = {p.name for p in POLICIES} | {"all"}
    unknown = sorted(set(pack_config) - known)
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(known))})")
    default = _entry(pack_config, "all").get("enforcementLevel", DEFAULT_LEVEL)
    out = {}
    for policy in POLICIES:
        entry = _entry(pack_config, policy.name)
        level = entry.pop("enforcementLevel", default)
        if level not in LEVELS:
            raise PolicyConfigError(f"policy config {policy.name!r}: level {level!r} is not one of {', '.join(LEVELS)}")
        out[policy.name] = (level, entry)
    return out


@dataclass(frozen=True)
class Result:
    policy: str
    level: str
    findings: tuple[Finding, ...]


def run_all(resources: Sequence[Resource], facts: StackFacts,
            pack_config: Mapping[str, Any] | None = None) -> list[Result]:
    """Every policy that is not disabled, over one stack's resources."""
    levels = resolve(pack_config or {})
    results = []
    for policy in POLICIES:
        level, config = levels[policy.name]
        if level != "disabled":
            results.append(Result(policy.name, level, tuple(policy.check(resources, facts, config))))
    return results
