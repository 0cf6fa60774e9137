"""Node capacity maps: KEMU's camelCase keys as Kubernetes resource names, checked the way
the API server checks a Node's capacity (validateResourceName)."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from components.config.k8s_names import invalid, qualified_name_errors
from components.config.k8s_values import Quantity, parse_quantity

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Resource names without a domain prefix that a Node may carry (the API server's
# IsStandardResourceName for node capacity); anything else needs a prefix (nvidia.com/gpu).
STANDARD_NODE_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pods", "storage")


def resource_name(key: str) -> str:
    """Map KEMU's camelCase capacity keys to Kubernetes resource names.

    `ephemeralStorage` -> `ephemeral-storage`, `hugepages2Mi` -> `hugepages-2Mi`;
    domain-prefixed names (`nvidia.com/gpu`) and already-kebab names are kept.
    """
    if "/" in key or "-" in key:
        return key
    if re.match(r"^hugepages\d", key):
        return "hugepages-" + key[len("hugepages"):]
    return _CAMEL_HUMP.sub(lambda m: "-" + m.group(1).lower(), key)


def resource_name_errors(name: str) -> list[str]:
    """The API server's validateResourceName for node capacity."""
    errs = qualified_name_errors(name)
    if errs or "/" in name or name in STANDARD_NODE_RESOURCES:
        return errs
    if name.startswith("hugepages-"):
        try:
            parse_quantity(name[len("hugepages-"):])
            return []
        except ValueError:
            return [f"hugepages-<size> needs a page size quantity such as 2Mi, not {name[10:]!r}"]
    return [f"must be a standard resource type ({', '.join(STANDARD_NODE_RESOURCES)}, hugepages-<size>) "
            "or fully qualified (e.g. nvidia.com/gpu)"]


def _resources(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, amount in value.items():
        name = resource_name(str(key))
        errs = resource_name_errors(name)
        if errs:
            raise invalid(f"{key!r} is not a resource name: {'; '.join(errs)}",
                          "use e.g. cpu, memory, ephemeralStorage, pods or nvidia.com/gpu")
        if name in out:
            raise invalid(f"{key!r} names the resource {name!r} twice", "use one spelling")
        out[name] = amount
    return out


Resources = Annotated[dict[str, Quantity], BeforeValidator(_resources)]
