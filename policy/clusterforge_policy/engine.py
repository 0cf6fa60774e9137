"""The pulumi-policy wiring: each catalog entry as a stack policy, resources made plain.

Thin on purpose: the rules live in the pure modules beside this one and are tested there.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyResource, ReportViolation,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
                           StackValidationPolicy)
from pulumi_policy.proxy import _DictProxy, _is_unknown, _ListProxy

from .catalog import POLICIES, PolicySpec
from .model import UNKNOWN, Resource, StackFacts

PACK_NAME = "clusterforge"
PACK_LEVEL = EnforcementLevel.MANDATORY


def plain(value: Any) -> Any:
    """Props without the SDK's unknown-checking proxies; unknowns become UNKNOWN.

    Reading through the proxies would raise on the first unknown value of a preview and
    skip the whole policy; the rules treat UNKNOWN themselves.
    """
    if isinstance(value, _DictProxy):
        value = value["__target"]
    elif isinstance(value, _ListProxy):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return UNKNOWN if _is_unknown(value) else value


# Each resource's inputs as the engine checked them, by URN. The stack policies see outputs,
# which a first preview does not know (a cluster that does not exist yet gives its objects no
# state): the rules judge what the program declares, as the offline runner does from the
# render, with every output known so far laid over it.
_INPUTS: dict[str, dict[str, Any]] = {}


def _record_inputs(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    _INPUTS[args.urn] = plain(args.props)


def _props(r: PolicyResource) -> dict[str, Any]:
    outputs = plain(r.props)
    merged = dict(_INPUTS.get(r.urn, {}))
    merged.update({k: v for k, v in outputs.items() if v != UNKNOWN or k not in merged})
    return merged


def as_resource(r: PolicyResource) -> Resource:
    parent = r.parent.urn if r.parent is not None else (r.opts.parent or "")
    return Resource(urn=r.urn, type=r.resource_type, name=r.name, props=_props(r), parent=parent,
                    dependencies=tuple(d.urn for d in r.dependencies),
                    secret_outputs=tuple(r.opts.additional_secret_outputs or ()))


def stack_facts() -> StackFacts:
    """The stack being previewed, from the settings and config the engine hands the pack."""
    try:
        name = pulumi.get_stack()
    except Exception:  # noqa: BLE001 -- outside an engine run there is no stack
        name = ""
    hosts = pulumi.Config("clusterforge").get_object("hosts") or {}
    kind = hosts.get("kind") if isinstance(hosts, Mapping) else None
    return StackFacts(name=name, hosts_kind=kind, secrets_visible=False)


def _validate(spec: PolicySpec):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [as_resource(r) for r in args.resources]
        for finding in spec.check(resources, stack_facts(), dict(args.get_config() or {})):
            report_violation(finding.message, finding.urn or None)
    return validate


INPUTS_POLICY = "declared-inputs"


def policies() -> list[StackValidationPolicy | ResourceValidationPolicy]:
    # No level of their own: each takes the pack's (mandatory) unless the config says otherwise.
    # The first one only records inputs for the others and never reports.
    recorder = ResourceValidationPolicy(name=INPUTS_POLICY, validate=_record_inputs,
                                        description="Records each resource's declared inputs for the stack checks.")
    return [recorder] + [StackValidationPolicy(name=spec.name, description=spec.description, validate=_validate(spec),
                                  config_schema=PolicyConfigSchema(properties=dict(spec.config)) if spec.config
                                  else None)
            for spec in POLICIES]
