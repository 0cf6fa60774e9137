"""The stack both tenant tiers run on the real API server: emulated-kwok cut to one system node."""
from __future__ import annotations

import copy

from clusterforge.kwok_live import kwok_overrides
from clusterforge.stackfile import read_stack

STACK = "emulated-kwok"


def small_kwok_config(bin_dir, port: int, name: str) -> dict:
    """emulated-kwok with one system node, no Prometheus, kwokctl from the toolchain."""
    config = copy.deepcopy(read_stack(STACK).namespaced())
    system = next(g for g in config["emulation"]["nodeGroups"] if g["name"] == "system")
    system["placement"] = system["placement"][:1]
    config["emulation"]["nodeGroups"] = [system]
    config["hosts"] = kwok_overrides(config, bin_dir, name, port)
    config["addons"] = {"prometheus": {"enabled": False}}
    return config


def resource_attributes(verb: str, resource: str, namespace: str = "", group: str = "", name: str = "") -> dict:
    """An access review's resourceAttributes (empty namespace: cluster-wide or all namespaces)."""
    attrs = {"verb": verb, "resource": resource, "group": group}
    if namespace:
        attrs["namespace"] = namespace
    if name:
        attrs["name"] = name
    return attrs
