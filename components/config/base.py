"""Shared building blocks for the stack config model.

Every section of the stack config is a ``StrictModel``: unknown keys are errors and
fields are spelled in camelCase in the stack YAML (``firstAddress``), as Pulumi config
usually is.  Cross-field rules return ``Finding`` objects instead of raising, so that
all problems are reported at once, each with the config path it concerns and a fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

from components.config.input_files import InputFileError, load_yaml_text

NAMESPACE = "clusterforge"


class StrictModel(BaseModel):
    """Base of every config section: camelCase keys, no unknown keys, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        validate_default=True,
    )


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the stack config.

    ``path`` is the config path without namespace, e.g. ``addons.metallb.addresses[0]``;
    ``str()`` renders it as users type it: ``clusterforge:addons.metallb.addresses[0]``.
    A key of another namespace keeps its own (``aws:region``), and a key with none at all
    is shown as written, in quotes.
    """

    path: str
    message: str
    fix: str = ""

    @property
    def key(self) -> str:
        """The path as users type it, with its namespace."""
        top = self.path.split(".", 1)[0].split("[", 1)[0]
        return self.path if ":" in top or self.path.startswith('"') else f"{NAMESPACE}:{self.path}"

    def __str__(self) -> str:
        text = f"{self.key}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigError(Exception):
    """Raised with every finding when a stack config is invalid."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(set(findings))
        super().__init__("\n".join(str(f) for f in self.findings))


def join_path(*parts: object) -> str:
    """Build a config path: join_path("hosts", "pools", 0, "name") -> hosts.pools[0].name."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out


_PINNED = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.\-]+)?$")


def _check_pinned(value: str) -> str:
    if not _PINNED.match(value):
        raise ValueError(
            f"version {value!r} is not pinned; give an exact release such as 1.2.3 "
            "(no 'latest', ranges or wildcards)"
        )
    return value


PinnedVersion = Annotated[str, AfterValidator(_check_pinned)]
"""An exact release (``1.36.2``, ``v3.30.1``, ``1.0.0-rc.1``): unpinned versions are errors."""

# Kubernetes' own rule (a port of apimachinery's IsDNS1123Label), kept importable from here.
from components.config.k8s_names import DnsLabel  # noqa: E402


def values_mapping(value: Any) -> dict[str, Any]:
    """Values as a mapping, or a YAML string holding one (KEMU's `valuesObject`)."""
    if isinstance(value, str):
        try:
            value = load_yaml_text(value, "values") or {}
        except InputFileError as exc:
            raise ValueError(f"values is a string but not valid YAML ({exc}); use a mapping") from None
    if not isinstance(value, dict):
        raise ValueError("values is not a mapping; use a mapping (or a YAML string holding one)")
    return value


class Addon(StrictModel):
    """What every addon's config has: enabled, and chart values over ours."""

    enabled: bool = False
    values: dict[str, Any] = {}

    _mapping = field_validator("values", mode="before")(values_mapping)
