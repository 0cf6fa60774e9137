"""What every policy reads: resources as plain data, and a few facts about the stack.

Two adapters fill these in: the pulumi-policy wiring (a real `pulumi preview/up`) and
clusterforge's offline runner (the mock-runtime render). The rules never see either SDK.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# How a value is shown when it is not known yet (preview) or is a secret. The offline
# render writes exactly these; the engine adapter maps the SDK's sentinels to UNKNOWN.
UNKNOWN = "(known after apply)"
SECRET = "[secret]"


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    secret_outputs: tuple[str, ...] = ()

    @property
    def parent_type(self) -> str:
        return urn_type(self.parent)


@dataclass(frozen=True)
class StackFacts:
    name: str = ""
    # `hosts.kind` of the stack config: "kind" marks an emulated (throwaway) cluster.
    hosts_kind: str | None = None
    # True where secret values arrive masked (the offline render), so a credential seen
    # in plain text is a leak. The Python policy SDK hands the engine's secrets over
    # already unwrapped, so there a plain-looking value may well be a secret.
    secrets_visible: bool = False


@dataclass(frozen=True)
class Finding:
    urn: str
    message: str


def urn_type(urn: str) -> str:
    """`urn:pulumi:stack::project::parent$type::name` -> `type`."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def is_masked(value: Any) -> bool:
    return value in (UNKNOWN, SECRET)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) below `value`; key is the last mapping key on the way."""
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            sub = f"{path}.{key}" if path else str(key)
            yield sub, str(key), value[key]
            yield from walk(value[key], sub)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            sub = f"{path}[{i}]"
            yield sub, _last_key(path), item
            yield from walk(item, sub)


def _last_key(path: str) -> str:
    tail = path.rsplit(".", 1)[-1]
    return tail.split("[", 1)[0]


def get(props: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    node: Any = props
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def truthy(value: Any) -> bool:
    """Provider inputs arrive as booleans or as their JSON text ("true")."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no", "0"))


def closure(deps: Mapping[str, Sequence[str]], start: str) -> set[str]:
    """Everything `start` waits for, directly or not."""
    seen: set[str] = set()
    todo = list(deps.get(start, ()))
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo.extend(deps.get(urn, ()))
    return seen


def kubernetes_kind(resource: Resource) -> str:
    """`kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` -> `ClusterRole` ('' otherwise)."""
    if not resource.type.startswith("kubernetes:") or resource.type.startswith("kubernetes:helm.sh/"):
        return ""
    return resource.type.rsplit(":", 1)[-1]
