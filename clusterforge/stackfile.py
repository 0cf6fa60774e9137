"""Reading `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to the program."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterforge import PROJECT_ROOT
from components.config import ConfigError, Finding
from components.config.input_files import InputFileError, read_yaml_file
from components.config.model import StackConfig
from components.config.secrets import SECRET_PLACEHOLDER, secret_material_findings
from components.config.stack_keys import key_error, normalized_key, parse_key
from components.plan.load import load_stack, missing_secret_findings

NAMESPACE = "clusterforge"
# Top-level keys of a Pulumi stack file (Pulumi.<stack>.yaml).
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


class StackFileError(Exception):
    pass


@dataclass
class StackFile:
    name: str
    path: Path
    # Full keys (`clusterforge:hosts`, `proxmoxve:insecure`) -> Python values.
    values: dict[str, Any] = field(default_factory=dict)
    secret_keys: set[str] = field(default_factory=set)
    # What the file itself gets wrong (keys Pulumi refuses, unknown top-level keys).
    problems: list[Finding] = field(default_factory=list)

    def namespaced(self) -> dict[str, Any]:
        """Our own keys without the namespace, secrets left out."""
        prefix = NAMESPACE + ":"
        return {k[len(prefix):]: v for k, v in self.values.items()
                if k.startswith(prefix) and k not in self.secret_keys}

    def pulumi_config(self) -> dict[str, str]:
        """The config map as the Pulumi engine passes it: strings, objects as JSON."""
        return {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                for k, v in self.values.items()}


def stack_names(root: Path = PROJECT_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (root / "stacks").glob("Pulumi.*.yaml"))


def read_stack(name: str, root: Path = PROJECT_ROOT) -> StackFile:
    path = root / "stacks" / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(stack_names(root)) or "none"
        raise StackFileError(f"no stack named {name!r} (looked for {path}); stacks: {known}")
    try:
        doc = read_yaml_file(path) or {}
    except InputFileError as err:
        raise StackFileError(str(err)) from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{path}: not a stack file (a mapping with a `config:` section)")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values")
    stack = StackFile(name=name, path=path)
    for key in sorted(set(map(str, doc)) - set(STACK_FILE_KEYS)):
        stack.problems.append(Finding(f'"{key}"', f"{path.name}: Pulumi ignores the top-level key {key!r}",
                                      f"put config keys under `config:`; top-level keys are {', '.join(STACK_FILE_KEYS)}"))
    for key, value in config.items():
        key = str(key)
        if parse_key(key) is None:  # Pulumi refuses the whole file for a key it cannot parse
            stack.problems.append(key_error(key))
            continue
        key = normalized_key(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            stack.secret_keys.add(key)
            value = SECRET_PLACEHOLDER
        stack.values[key] = value
    return stack


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_parts(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def apply_overrides(stack: StackFile, overrides: dict[str, Any] | None) -> StackFile:
    """Set values by config path, for tests and benchmarks.

    `{"emulation": {...}}` replaces a whole top-level key; `{"hosts.pools[0].count": 2}`
    sets one field inside it; a value of None removes the key.
    """
    for path, value in (overrides or {}).items():
        namespace, _, inner = path.rpartition(":")
        top, *rest = _path_parts(inner)
        full = f"{namespace or NAMESPACE}:{top}"
        if not rest:
            if value is None:
                stack.values.pop(full, None)
            else:
                stack.values[full] = copy.deepcopy(value)
            continue
        node = stack.values.setdefault(full, {})
        for part in rest[:-1]:
            node = node[part] if isinstance(part, int) else node.setdefault(part, {})
        if value is None:
            if isinstance(node, dict):
                node.pop(rest[-1], None)
            else:
                del node[rest[-1]]
        else:
            node[rest[-1]] = copy.deepcopy(value)
    return stack


def prepare_offline(stack: StackFile) -> tuple[StackConfig, list[str]]:
    """Validate the stack's config as the program does; stand in for unset secrets.

    Offline, a secret the stack needs but has not set gets a secret placeholder so the
    graph still renders; the returned notes say so (`pulumi up` refuses without it).
    Raises ConfigError with every finding.
    """
    try:
        cfg = load_stack(stack.values, stack.secret_keys)
    except ConfigError as err:
        raise ConfigError(stack.problems + err.findings) from None
    if stack.problems:
        raise ConfigError(stack.problems)
    present = {k.split(":", 1)[1] for k in stack.secret_keys if k.startswith(NAMESPACE + ":")}
    # Secrets an offline render can read (a test's, never an encrypted one) are checked as the program does.
    material = secret_material_findings(cfg, {k: stack.values.get(f"{NAMESPACE}:{k}") for k in present})
    if material:
        raise ConfigError(material)
    notes = []
    for finding in missing_secret_findings(cfg, present):
        stack.values[f"{NAMESPACE}:{finding.path}"] = SECRET_PLACEHOLDER
        stack.secret_keys.add(f"{NAMESPACE}:{finding.path}")
        notes.append(f"{finding} -- rendered with a placeholder secret; `pulumi up` needs it set")
    return cfg, notes
