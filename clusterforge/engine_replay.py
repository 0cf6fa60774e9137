"""The program's Kubernetes resources as a Pulumi YAML program, for the real engine.

The Python language host cannot be built here, but the YAML one can; the Kubernetes
resources the program registers (types, names, inputs, dependencies) become a Pulumi
YAML program that the real CLI, engine and pulumi-kubernetes provider run: preview, up,
a no-change preview, refresh, an edit and destroy. What it does not replay: component
resources (YAML has none, so URNs are flat) and resources of other providers
(commands, random), whose outputs the caller gives as config.
"""
from __future__ import annotations

import re
from typing import Any

from clusterforge.mockrun import Recording, Registration

PROVIDER = "pulumi:providers:kubernetes"
# API groups pulumi-kubernetes has typed resources for; other kinds are custom
# resources and go through a yaml/v2 ConfigGroup (YAML programs have no CustomResource).
_BUILT_IN = re.compile(r"^kubernetes:(core|apps|batch|rbac\.authorization\.k8s\.io|networking\.k8s\.io|policy|"
                       r"storage\.k8s\.io|scheduling\.k8s\.io|coordination\.k8s\.io|admissionregistration\.k8s\.io|"
                       r"apiextensions\.k8s\.io|flowcontrol\.apiserver\.k8s\.io|helm\.sh)/")
SECRET = "[secret]"


class ReplayError(Exception):
    pass


def _replace_secrets(value: Any, secrets: dict[str, Any], path: str) -> Any:
    """Each "[secret]" placeholder becomes what the caller gives for its path (a value
    that refers to secret config, e.g. "${grafanaPassword}")."""
    if value == SECRET:
        if path not in secrets:
            raise ReplayError(f"no value given for the secret at {path}")
        return secrets[path]
    if isinstance(value, dict):
        return {k: _replace_secrets(v, secrets, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secrets(v, secrets, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return value.replace("${", "$${")  # YAML interpolation escape
    return value


def replayed(rec: Recording) -> list[Registration]:
    return [r for r in rec.resources if r.type.startswith("kubernetes:") and r.custom]


def yaml_program(rec: Recording, name: str, secrets: dict[str, Any], secret_config: list[str]) -> dict[str, Any]:
    """A Pulumi.yaml (runtime yaml) declaring the recording's Kubernetes resources.

    `secrets` maps "<resource name>.<input path>" of each "[secret]" input to its value,
    which refers to the secret config keys `secret_config` declares. The provider's
    kubeconfig comes from the secret config key `kubeconfig`.
    """
    resources = replayed(rec)
    names = [r.name for r in resources]
    if len(set(names)) != len(names):
        raise ReplayError(f"resource names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}")
    by_urn = {r.urn: r.name for r in resources}
    program: dict[str, Any] = {
        "name": name, "runtime": "yaml",
        "config": {"kubeconfig": {"type": "string", "secret": True}},
        "resources": {"kubernetes": {"type": PROVIDER, "properties": {
            "kubeconfig": "${kubeconfig}",
            **{k: v for k, v in (rec_provider(rec).inputs.items()) if k != "kubeconfig"}}}},
    }
    for key in sorted(secret_config):
        program["config"][key] = {"type": "string", "secret": True}
    for res in resources:
        inputs = {k: v for k, v in res.inputs.items() if not k.startswith("__")}
        inputs = _replace_secrets(inputs, secrets, res.name)
        if _BUILT_IN.match(res.type):
            entry: dict[str, Any] = {"type": res.type, "properties": inputs}
        else:
            entry = {"type": "kubernetes:yaml/v2:ConfigGroup", "properties": {"objs": [inputs]}}
        options: dict[str, Any] = {"provider": "${kubernetes}"}
        deps = sorted(by_urn[d] for d in res.dependencies if d in by_urn)
        if deps:
            options["dependsOn"] = [f"${{{d}}}" for d in deps]
        entry["options"] = options
        program["resources"][res.name] = entry
    return program


def rec_provider(rec: Recording) -> Registration:
    providers = rec.of_type(PROVIDER)
    if len(providers) != 1:
        raise ReplayError(f"expected one Kubernetes provider, found {len(providers)}")
    return providers[0]
