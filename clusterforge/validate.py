"""Validate rendered Kubernetes objects against real schemas.

Built-in kinds use the `kubernetes-validate` package (the Kubernetes OpenAPI schemas for
the version the stack pins, strict: unknown fields are errors). Custom resources use
`spec.versions[].schema.openAPIV3Schema` of the upstream CRDs found in a directory,
turned into JSON Schema with the Kubernetes extensions honoured:
`x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields` and `nullable`.
Like the API server with strict field validation, fields a CRD does not declare are errors.
A secret value is masked in a render (`[secret]`, e.g. a Secret's whole stringData), so its
shape cannot be checked there: errors about a masked value itself are left out.
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import yaml
from kubernetes_validate import utils as k8s_schemas
from kubernetes_validate.utils import VersionNotSupportedError
from packaging.version import Version

from clusterforge.mockrun import SECRET_TEXT, UNKNOWN_TEXT
from components.config.k8s_names import dns1123_subdomain_errors
from components.plan.addons.ingress_inputs import PLANNED


@dataclass(frozen=True, order=True)
class ObjectFinding:
    object: str  # Kind/namespace/name
    path: str  # field path inside the object, e.g. spec.addresses[0]
    message: str

    def __str__(self) -> str:
        return f"{self.object}: {self.path or '(object)'}: {self.message}"


def object_id(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    parts = [str(obj.get("kind", "?"))]
    if meta.get("namespace"):
        parts.append(str(meta["namespace"]))
    parts.append(str(meta.get("name", "?")))
    return "/".join(parts)


def _field_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _structural(schema: Any) -> Any:
    """OpenAPI v3 (Kubernetes flavour) -> JSON Schema draft 4 with strict objects."""
    if isinstance(schema, list):
        return [_structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    out.pop("nullable", None)
    out.pop("format", None)  # int32, byte, date-time...: the API server's own checks
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    if out.get("type") == "object" and "properties" in out and not preserve \
            and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if schema.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    return out


class CrdSchemas:
    """The openAPIV3Schema of every CRD version in a directory, by (apiVersion, kind)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._schemas: dict[tuple[str, str], dict] = {}
        for path in sorted(self.directory.glob("*.y*ml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for version in spec.get("versions", []):
                    schema = (version.get("schema") or {}).get("openAPIV3Schema")
                    if schema:
                        key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                        self._schemas[key] = _structural(schema)

    def get(self, api_version: str, kind: str) -> dict | None:
        return self._schemas.get((api_version, kind))

    def __len__(self) -> int:
        return len(self._schemas)


def _metadata_findings(obj: dict) -> list[ObjectFinding]:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        return [ObjectFinding(object_id(obj), "metadata.name", "missing: every object needs a name")]
    if dns1123_subdomain_errors(name):
        return [ObjectFinding(object_id(obj), "metadata.name", f"{name!r} is not a DNS subdomain")]
    return []


@functools.lru_cache(maxsize=None)
def _definitions(schema_dir: str) -> referencing.Registry:
    defs = k8s_schemas.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir)
    return referencing.Resource.from_contents(defs) @ referencing.Registry()


@functools.lru_cache(maxsize=None)
def _builtin_validator(kubernetes_version: str, api_version: str, kind: str):
    """kubernetes-validate's strict schema for a kind, built once per kind and version.

    The package's own `validate()` reloads the schema files on every call; thousands of
    emulated Nodes make that the cost of `check`, so the same files are used here with
    the validator cached. Returns None when the kind is not built in.
    """
    wanted = k8s_schemas.major_minor(kubernetes_version.lstrip("v"))
    if Version(wanted) > Version(k8s_schemas.latest_version()):
        raise VersionNotSupportedError(version=wanted)
    known = [v for v in k8s_schemas.all_versions() if Version(k8s_schemas.major_minor(v)) <= Version(wanted)]
    if not known:
        raise VersionNotSupportedError(version=wanted)
    version = known[-1]
    schema_dir = f"v{version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = k8s_schemas.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group}.json", schema_dir)
    except FileNotFoundError:
        return None
    registry = referencing.Resource.from_contents(schema) @ _definitions(schema_dir)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_object(obj: dict, kubernetes_version: str, crds: CrdSchemas | None) -> list[ObjectFinding]:
    """Every problem found in one object (empty when valid)."""
    oid = object_id(obj)
    findings = _metadata_findings(obj)
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    try:
        builtin = _builtin_validator(kubernetes_version, api_version, kind)
    except VersionNotSupportedError as err:
        return findings + [ObjectFinding(oid, "", err.message)]
    if builtin is not None:
        return findings + _findings(oid, builtin, obj)
    not_builtin = (f"{kind} {api_version} is not a built-in kind of Kubernetes "
                   f"{k8s_schemas.major_minor(kubernetes_version.lstrip('v'))}")
    schema = crds.get(api_version, kind) if crds is not None else None
    if schema is None:
        where = f"in {crds.directory}" if crds is not None else "(no CRD schema directory given)"
        return findings + [ObjectFinding(oid, "", f"{not_builtin}, and no CRD for {api_version} {kind} {where}")]
    schema = copy.deepcopy(schema)
    # The API server allows these at the root whatever the CRD says (Istio's CRDs leave
    # apiVersion and kind out); metadata stays loose; apiVersion/kind were matched above.
    schema.setdefault("properties", {}).update(
        {"metadata": {"type": "object"}, "apiVersion": {"type": "string"}, "kind": {"type": "string"}})
    return findings + _findings(oid, jsonschema.Draft4Validator(schema), obj)


def _findings(oid: str, validator, obj: dict) -> list[ObjectFinding]:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [ObjectFinding(oid, _field_path(e.absolute_path), e.message) for e in errors
            if not _render_placeholder(e)]


def _render_placeholder(error) -> bool:
    """A value the render cannot show (a secret, known only after apply, or generated at
    deploy time in a plan) fits any schema."""
    return error.instance is PLANNED or error.instance in (SECRET_TEXT, UNKNOWN_TEXT)


def validate_objects(objects: list[dict], kubernetes_version: str,
                     crds: CrdSchemas | None) -> list[ObjectFinding]:
    """Every problem of every object; a Kubernetes version without schemas is one finding."""
    try:
        _builtin_validator(kubernetes_version, "v1", "Namespace")
    except VersionNotSupportedError as err:
        return [ObjectFinding(f"all {len(objects)} objects", "", f"{err.message}: no schemas to validate "
                              f"Kubernetes {kubernetes_version} objects against")]
    return sorted(f for obj in objects for f in validate_object(obj, kubernetes_version, crds))
