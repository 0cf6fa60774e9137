"""Stack config values -> a validated `StackConfig`, or every problem at once.

Pydantic checks shapes and types, the section models what spans their own fields; the
rules that span sections belong to the plan layer, which hands them in (plan/load.py). Errors are turned into `Finding`s that name the config path as users type it
and say how to fix it, so no traceback ever reaches a user.
"""
from __future__ import annotations

import copy

import types
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from components.config.base import NAMESPACE, ConfigError, Finding, join_path
from components.config.model import StackConfig

_FIXES = {
    "missing": "add this key",
    "literal_error": "use one of the values listed",
    "ip_v4_network": "write a network in CIDR form, network address first (e.g. 192.168.10.0/24)",
    "ip_v4_address": "write a dotted IPv4 address (e.g. 192.168.10.11)",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "bool_parsing": "write true or false",
    "dict_type": "write a mapping (key: value)",
    "list_type": "write a list",
    "model_type": "write a mapping with the keys of this section",
    "string_type": "write a string (quote it in YAML)",
    "greater_than_equal": "raise the value",
    "less_than_equal": "lower the value",
    "too_short": "add at least one entry",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if origin in (list, tuple, set):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _allowed_keys(loc: tuple) -> list[str]:
    """Keys the model at `loc` (the parent of an unknown key) accepts."""
    model: type[BaseModel] = StackConfig
    for part in loc[:-1]:
        if isinstance(part, int) or part not in {f.alias or n for n, f in model.model_fields.items()}:
            continue
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
        candidates = _unwrap(field.annotation)
        if not candidates:
            return []
        model = candidates[0]
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _finding_from_pydantic(error: Mapping[str, Any]) -> Finding:
    # A dict key that fails its own check is reported at the key ("labels.bad key"), not
    # at pydantic's "[key]" marker.
    loc = tuple(part for part in error["loc"] if part != "[key]")
    path = join_path(*loc)
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ")
    if kind == "clusterforge":
        return Finding(path, error["ctx"]["message"], error["ctx"]["fix"])
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        return Finding(path, "unknown key",
                       f"remove it or fix its spelling; allowed here: {', '.join(allowed)}")
    if kind == "value_error":
        return Finding(path, message)
    return Finding(path, message, _FIXES.get(kind, ""))


def _no_rules(cfg: StackConfig) -> list[Finding]:
    return []


Rules = Callable[[StackConfig], list[Finding]]


_OPTIONAL_SECTIONS = ("provisioning", "addons", "emulation", "tenants")


def load_stack_config(values: Mapping[str, Any], rules: Rules = _no_rules) -> StackConfig:
    """Validate the non-secret top-level values (keys without the namespace): the schema,
    then `rules` (the cross-section rules the plan layer registers, see plan/load.py)."""
    # Pulumi.yaml gives optional sections an empty default: empty means absent.
    given = {k: v for k, v in values.items() if not (k in _OPTIONAL_SECTIONS and v in ({}, []))}
    try:
        cfg = StackConfig.model_validate(given)
    except ValidationError as exc:
        schema = [_finding_from_pydantic(e) for e in exc.errors()]
        raise ConfigError(schema + _rules_past_typos(given, exc, rules)) from None
    findings = rules(cfg)
    if findings:
        raise ConfigError(findings)
    return cfg


def _without(values: Any, loc: tuple) -> None:
    """Remove the key at `loc` (a pydantic error location) from nested mappings and lists."""
    node = values
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        node.pop(loc[-1], None)


def _rules_past_typos(given: Mapping[str, Any], exc: ValidationError, rules: Rules) -> list[Finding]:
    """The cross-section findings of the config without its unknown keys, so a typo does not
    hide them; only when unknown keys are all that is wrong (any other error leaves no value
    the rules could judge honestly)."""
    errors = exc.errors()
    if any(e["type"] != "extra_forbidden" for e in errors):
        return []
    values = copy.deepcopy(dict(given))
    for error in errors:
        _without(values, tuple(error["loc"]))
    try:
        return rules(StackConfig.model_validate(values))
    except (ValidationError, ConfigError):
        return []


def load_stack(values: Mapping[str, Any], secret_keys: Collection[str] = (), rules: Rules = _no_rules) -> StackConfig:
    """Validate a whole stack's config as the engine holds it: full keys (`clusterforge:hosts`,
    `aws:region`), secrets marked by `secret_keys`. Every finding at once, or the config."""
    from components.config.secrets import plain_secret_findings, secret_key_names
    from components.config.stack_keys import foreign_key_findings, normalize_keys, normalized_key

    prefix = NAMESPACE + ":"
    normalized, findings = normalize_keys(values)
    secret_keys = {normalized_key(k) for k in secret_keys}
    findings += foreign_key_findings(normalized, secret_keys)
    findings += plain_secret_findings(normalized, secret_keys)
    ours = {k[len(prefix):]: v for k, v in normalized.items() if k.startswith(prefix) and k not in secret_keys}
    for name in secret_key_names(ours):
        ours.pop(name, None)  # a plain secret is reported as such, not as an unknown key
    try:
        cfg = load_stack_config(ours, rules)
    except ConfigError as err:
        raise ConfigError(findings + err.findings) from None
    if findings:
        raise ConfigError(findings)
    return cfg
