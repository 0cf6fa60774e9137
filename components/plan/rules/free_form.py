"""The free-form parts of a stack config, with their paths: chart values, Dex connector configs,
kind's Cluster config. The schema cannot type them (each consumer reads them its own way),
so rules that look inside them (credentials, node selectors) walk them from here."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.config.addons import CORE_ADDONS
from components.config.base import join_path
from components.config.model import StackConfig


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def free_form_roots(cfg: StackConfig, enabled_only: bool = True) -> Iterator[tuple[str, Any]]:
    """(path, value) of every free-form mapping the stack hands to a consumer."""
    for key in CORE_ADDONS:
        addon = getattr(cfg.addons, _snake(key))
        if enabled_only and not addon.enabled:
            continue
        yield join_path("addons", key, "values"), addon.values
    istio = cfg.addons.istio
    if istio.enabled or not enabled_only:
        yield "addons.istio.baseValues", istio.base_values
        yield "addons.istio.gateway.values", istio.gateway.values
    for i, chart in enumerate(cfg.addons.charts):
        yield join_path("addons", "charts", i, "values"), chart.values
    dex = cfg.addons.dex
    if dex.enabled or not enabled_only:
        for i, connector in enumerate(dex.connectors):
            yield join_path("addons", "dex", "connectors", i), connector
    if cfg.hosts.kind == "kind" and cfg.hosts.kind_cluster is not None:
        yield "hosts.kindCluster.config", cfg.hosts.kind_cluster.kind_config


def walk(path: str, value: Any) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every entry below `path`, depth first; keys of lists are ''."""
    stack = [(path, "", value)]
    while stack:
        here, key, node = stack.pop()
        yield here, key, node
        if isinstance(node, dict):
            stack.extend((join_path(here, str(k)), str(k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((join_path(here, i), key, v) for i, v in reversed(list(enumerate(node))))
