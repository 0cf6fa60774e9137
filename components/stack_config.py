"""Reading and validating the stack config inside a Pulumi run.

Secrets stay `Output` secrets from here on: the program never sees them as plain
strings, so they reach state and logs encrypted or masked.
"""
from __future__ import annotations

from typing import Any, NoReturn

import pulumi
from pulumi.runtime import config as runtime_config

from components.config.base import NAMESPACE, ConfigError, Finding
from components.config.model import StackConfig
from components.config.secrets import secret_material_findings
from components.config.stack_keys import decoded
from components.plan.load import load_stack, missing_secret_findings


def _raw_config() -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys |= {k for k in values if runtime_config.is_config_secret(k)}
    return values, secret_keys


def refuse(findings: list[Finding]) -> NoReturn:
    """Log every finding with its path and fix, and stop before anything changes."""
    for finding in sorted(set(findings)):
        pulumi.log.error(str(finding))
    raise pulumi.RunError(f"the stack config has {len(set(findings))} problem(s), listed above; "
                          "nothing was changed")


def stack_config_or_exit() -> tuple[StackConfig, dict[str, pulumi.Output[str]]]:
    """The validated config and the secrets it needs, or every finding and a clean stop."""
    raw, secret_keys = _raw_config()
    prefix = NAMESPACE + ":"
    present = {k[len(prefix):] for k in secret_keys if k.startswith(prefix)}
    try:
        cfg = load_stack({k: decoded(v) for k, v in raw.items()}, secret_keys)
        findings = missing_secret_findings(cfg, present)
        # Key material is checked for what it claims; its value never appears in a finding.
        findings += secret_material_findings(cfg, {k: raw[prefix + k] for k in present})
    except ConfigError as err:
        findings = err.findings
    if findings:
        refuse(findings)
    secrets = {key: pulumi.Output.secret(str(raw[prefix + key])) for key in sorted(present)}
    return cfg, secrets

