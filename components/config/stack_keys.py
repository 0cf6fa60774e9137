"""Config keys outside our sections: their form, other namespaces, keys the program ignores.

Keys are parsed as Pulumi's ParseKey does (`<namespace>:<name>`, or the old
`<namespace>:config:<name>`); anything else, a bare key included, is refused with
Pulumi's own message, since `pulumi up` would refuse the stack file. Keys of other
namespaces never reach this program's resources, which use explicit providers
configured from our sections: such a key is either a duplicate of ours (then it must
agree) or ignored (then it is reported, with where the setting belongs).
"""
from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from components.config.base import NAMESPACE, Finding
from components.config.secrets import FOREIGN_SECRETS

# Engine settings (pulumi:tags, pulumi:disable-default-providers, ...) are read by Pulumi itself.
ENGINE_NAMESPACE = "pulumi"
# Keys of other namespaces that duplicate one of ours: (our section path, its keys).
COUNTERPARTS = {
    "aws:region": ("hosts.aws.region", ("hosts", "aws", "region")),
    "proxmoxve:endpoint": ("hosts.proxmox.endpoint", ("hosts", "proxmox", "endpoint")),
    "proxmoxve:insecure": ("hosts.proxmox.insecure", ("hosts", "proxmox", "insecure")),
}
_WHERE = {
    "aws": "the program's AWS provider takes its region from clusterforge:hosts.aws.region and its "
           "credentials from the AWS environment (AWS_PROFILE, SSO or a role), never from aws: keys",
    "proxmoxve": "the program's Proxmox provider is configured from clusterforge:hosts.proxmox and the "
                 "secret named by hosts.proxmox.apiTokenSecret",
    "kubernetes": "the program's Kubernetes provider uses the cluster's own kubeconfig",
}


def parse_key(key: str) -> tuple[str, str] | None:
    """(namespace, name) as Pulumi's config.ParseKey reads `key`, or None when it refuses it."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config" and all(parts):
        return parts[0], parts[2]
    return None


def normalized_key(key: str) -> str:
    """`ns:config:name` -> `ns:name`; other keys unchanged."""
    parsed = parse_key(key)
    return f"{parsed[0]}:{parsed[1]}" if parsed else key


def key_error(key: str) -> Finding:
    fix = f"write it as {NAMESPACE}:{key}" if ":" not in key else "use the form <namespace>:<name>"
    return Finding(f'"{key}"', f"could not parse {key} as a configuration key (configuration keys should be of "
                               "the form `<namespace>:<name>`); Pulumi refuses the stack file", fix)


def normalize_keys(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
    """Values under `namespace:name` keys, and a finding per key Pulumi would refuse."""
    out: dict[str, Any] = {}
    findings = []
    for key, value in values.items():
        if parse_key(str(key)) is None:
            findings.append(key_error(str(key)))
        else:
            out[normalized_key(str(key))] = value
    return out, findings


def decoded(value: Any) -> Any:
    """A value as the engine passes it (objects as JSON text) -> the Python value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _ours(values: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    node = decoded(values.get(f"{NAMESPACE}:{parts[0]}"))
    for part in parts[1:]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def foreign_key_findings(values: Mapping[str, Any], secret_keys: Collection[str]) -> list[Finding]:
    """Keys of other namespaces (already normalized) that disagree with ours or are ignored."""
    findings = []
    for key in sorted(values):
        namespace = key.split(":", 1)[0]
        if namespace in (NAMESPACE, ENGINE_NAMESPACE):
            continue
        if key in FOREIGN_SECRETS and key not in secret_keys:
            continue  # reported as a plain-text credential
        if key in COUNTERPARTS:
            path, parts = COUNTERPARTS[key]
            ours = _ours(values, parts)
            theirs = decoded(values[key])
            if ours is None or key in secret_keys:
                pass  # ours unset: the key is ignored, below
            elif ours == theirs:
                continue
            else:
                findings.append(Finding(key, f"{key} is {theirs!r} but {NAMESPACE}:{path} is {ours!r}; the "
                                             f"program uses {NAMESPACE}:{path}",
                                        f"make them agree, or remove {key}"))
                continue
        where = _WHERE.get(namespace, f"nothing in this program reads the {namespace} namespace")
        findings.append(Finding(key, f"{key} is ignored: {where}", f"remove {key}"))
    return findings
