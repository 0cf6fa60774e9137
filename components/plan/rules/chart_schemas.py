"""Chart values checked by the chart's own validator: its `values.schema.json`.

Consumer: Helm coalesces the chart's `values.yaml` with the release's values (a null removes
a key) and validates the result against the chart's `values.schema.json` (JSON Schema) before
it renders anything; an install or upgrade with values the schema refuses fails then, at
deploy time, after other resources changed. Where the package is on disk
(`addons.chartSource.directory`, an air-gapped chart mirror: `<chart>-<version>.tgz`), the
same check runs before anything is declared, with the `jsonschema` library. Errors inside
values the stack gives are named by their path under `addons.<addon>.values`
(`addons.charts[i].values` for a user chart).
"""
from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, validators

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.config.input_files import InputFileError, load_yaml_text


class _Unknown:
    """A value known only at deploy time (a Pulumi Output); the schema cannot judge it."""


_UNKNOWN = _Unknown()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _UNKNOWN


def coalesce(defaults: Any, given: Any) -> Any:
    """Helm's merge of values over a chart's defaults: mappings merge, null removes, the rest replaces."""
    if not isinstance(defaults, dict) or not isinstance(given, dict):
        return given
    out = dict(defaults)
    for key, value in given.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = coalesce(out.get(key), value)
    return out


def chart_files(package: Path, chart: str) -> tuple[dict | None, dict]:
    """(values.schema.json, values.yaml) of a packaged chart; (None, {}) without a schema."""
    with tarfile.open(package, "r:gz") as archive:
        def read(name: str) -> str | None:
            try:
                member = archive.extractfile(f"{chart}/{name}")
            except KeyError:
                return None
            return member.read().decode("utf-8") if member is not None else None
        schema_text, values_text = read("values.schema.json"), read("values.yaml")
    if schema_text is None:
        return None, {}
    defaults = load_yaml_text(values_text, f"{package.name}:{chart}/values.yaml") if values_text else {}
    return json.loads(schema_text), defaults or {}


def _config_path(base: str, given: Any, where: list) -> str:
    """The longest prefix of `where` that the stack's own values hold, as a config path."""
    path, node = base, given
    for part in where:
        if isinstance(node, dict) and part in node:
            path, node = join_path(path, str(part)), node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path, node = join_path(path, part), node[part]
        else:
            break
    return path


def _validator_class(schema: dict):
    """The draft the schema names (charts often write https:// for the draft-07 URI); draft 7 otherwise."""
    named = str(schema.get("$schema", "")).replace("https://", "http://").rstrip("#") + "#"
    return validators.validator_for({"$schema": named}, default=Draft7Validator) if "$schema" in schema \
        else Draft7Validator


def schema_findings(base: str, schema: dict, defaults: dict, values: Any, given: Any) -> Iterator[Finding]:
    document = _plain(coalesce(defaults, values))
    validator_class = _validator_class(schema)
    for error in validator_class(schema).iter_errors(document):
        if error.instance is _UNKNOWN or isinstance(error.instance, _Unknown):
            continue
        where = list(error.absolute_path)
        shown = ".".join(str(p) for p in where) or "(top level)"
        yield Finding(_config_path(base, given, where),
                      f"the chart's values.schema.json refuses {shown}: {error.message}",
                      "fix the value as the chart documents it (Helm would refuse the release at deploy time)")


def chart_schema_findings(cfg: StackConfig, directory: Path | None = None) -> list[Finding]:
    """Every enabled addon's and user chart's values against the schema of its package in `directory`
    (default: addons.chartSource.directory)."""
    from components.plan.addons.catalog import all_addons

    source = cfg.addons.chart_source
    directory = directory or (Path(source.directory) if source is not None and source.directory else None)
    if directory is None or not directory.is_dir():
        return []
    user_charts = {chart.name: i for i, chart in enumerate(cfg.addons.charts)}
    findings: list[Finding] = []
    for key, spec in all_addons(cfg).items():
        package = directory / f"{spec.chart}-{spec.version}.tgz"
        if not package.is_file():
            continue  # addons.py names missing packages
        try:
            schema, defaults = chart_files(package, spec.chart)
        except (OSError, EOFError, tarfile.TarError, ValueError, InputFileError):
            continue  # not a package this rule can open: Helm names it when it loads the chart
        if schema is None:
            continue
        if key in user_charts:
            base, given = join_path("addons", "charts", user_charts[key], "values"), cfg.addons.charts[
                user_charts[key]].values
        else:
            base, given = _addon_values(cfg, key)
        findings.extend(schema_findings(base, schema, defaults, spec.values, given))
    return findings


def _addon_values(cfg: StackConfig, key: str) -> tuple[str, dict]:
    """(config path, the stack's values) behind a core addon's release; Istio has three charts."""
    istio = cfg.addons.istio
    special = {"istioBase": ("addons.istio.baseValues", istio.base_values),
               "istiod": ("addons.istio.values", istio.values),
               "istioGateway": ("addons.istio.gateway.values", istio.gateway.values)}
    if key in special:
        return special[key]
    addon = getattr(cfg.addons, "".join(f"_{c.lower()}" if c.isupper() else c for c in key), None)
    return join_path("addons", key, "values"), getattr(addon, "values", {}) or {}
