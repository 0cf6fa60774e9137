"""`clusterforge import-kemu FILE --stack NAME`: a KEMU ClusterConfig as a stack file.

KEMU (datastrophic/kemu) describes an emulated cluster in one document: `kindConfig`
(a YAML string), `clusterAddons` (Helm charts with `valuesObject` strings) and
`nodeGroups`. They map onto this project's sections:
  kindConfig     -> hosts.kindCluster.kindConfig (parsed into a mapping)
  nodeGroups     -> emulation.nodeGroups (unchanged: our shape is KEMU's, extended)
  clusterAddons  -> addons.prometheus for kube-prometheus-stack, addons.charts otherwise;
                    KWOK's own charts are dropped (the emulation section installs KWOK)
The result is validated with the same model `render` uses before it is written.
"""
from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT
from components.config import ConfigError
from components.config.input_files import InputFileError, load_yaml_text, read_yaml_file
from components.config.addons import PrometheusConfig
from components.config.kemu import KEMU_API_VERSION, from_kemu, is_kemu_document
from components.config.kind_cluster import KIND_KUBERNETES_VERSION, kind_node_image
from components.plan.addons.prometheus import REPOSITORY as PROMETHEUS_REPOSITORY
from components.plan.load import load_stack_config

# The project's pinned defaults: the kind node version the emulated stack is tested with,
# and the addon versions of the config model.
DEFAULT_KUBERNETES_VERSION = KIND_KUBERNETES_VERSION
KWOK_CHARTS = {"kwok", "stage-fast", "stage-general", "metrics-usage"}
PROMETHEUS_CHART = "kube-prometheus-stack"
# Every field KEMU's ClusterConfig (v1alpha1) has; anything else would be dropped unread.
DOCUMENT_KEYS = ("apiVersion", "kind", "metadata", "spec")
SPEC_KEYS = ("kindConfig", "clusterAddons", "nodeGroups")
ADDON_KEYS = ("name", "repoName", "repoURL", "namespace", "chart", "version", "valuesObject")


class KemuImportError(Exception):
    pass


def _values(addon: dict[str, Any], where: str) -> dict[str, Any]:
    text = addon.get("valuesObject")
    if text in (None, ""):
        return {}
    if isinstance(text, dict):
        return text
    if not isinstance(text, str):
        raise KemuImportError(f"{where}.valuesObject must be a YAML string or a mapping")
    try:
        values = load_yaml_text(text, f"{where}.valuesObject")
    except InputFileError as err:
        raise KemuImportError(str(err)) from None
    if not isinstance(values, dict):
        raise KemuImportError(f"{where}.valuesObject must be a YAML mapping")
    return values


def _known_keys(mapping: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    """`mapping` itself, refused when it is not a mapping or has a key KEMU does not define."""
    if not isinstance(mapping, dict):
        raise KemuImportError(f"{where} must be a mapping")
    for key in mapping:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise KemuImportError(f"{where}.{key} is not a KEMU field ({hint}known: {', '.join(allowed)}); "
                                  "it would be dropped")
    return mapping


def convert_addons(addons: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """KEMU clusterAddons -> our addons section, and notes on what was dropped."""
    section: dict[str, Any] = {}
    charts: list[dict[str, Any]] = []
    notes: list[str] = []
    if not isinstance(addons, list):
        raise KemuImportError("spec.clusterAddons must be a list")
    for index, addon in enumerate(addons):
        where = f"spec.clusterAddons[{index}]"
        _known_keys(addon, ADDON_KEYS, where)
        chart_name = str(addon.get("chart") or "").rsplit("/", 1)[-1]
        if chart_name == PROMETHEUS_CHART and not addon.get("version"):
            addon = {**addon, "version": PrometheusConfig().version}  # the project's pinned default
            notes.append(f"{where}: no version, using the project's pinned {PROMETHEUS_CHART} {addon['version']}")
        missing = [k for k in ("name", "chart", "version") if not addon.get(k)]
        if missing:
            raise KemuImportError(f"{where} has no {', '.join(missing)}")
        chart = str(addon["chart"]).rsplit("/", 1)[-1]  # KEMU writes repoName/chart
        values = _values(addon, where)
        if chart in KWOK_CHARTS:
            notes.append(f"{where} ({addon['chart']}): dropped, the emulation section installs KWOK "
                         "and its stages itself")
            continue
        if chart == PROMETHEUS_CHART:
            section["prometheus"] = {"enabled": True, "version": str(addon["version"]), "values": values}
            if addon.get("namespace") and addon["namespace"] != PrometheusConfig().namespace:
                section["prometheus"]["namespace"] = addon["namespace"]
            if addon.get("repoURL") and addon["repoURL"].rstrip("/") != PROMETHEUS_REPOSITORY.rstrip("/"):
                notes.append(f"{where}: repoURL {addon['repoURL']} replaced by the project's "
                             f"{PROMETHEUS_REPOSITORY}")
            continue
        entry = {"name": addon["name"], "namespace": addon.get("namespace") or "default",
                 "repository": addon.get("repoURL", ""), "chart": chart,
                 "version": str(addon["version"]), "values": values}
        charts.append(entry)
    if charts:
        section["charts"] = charts
    return section, notes


def convert(document: dict[str, Any], stack: str,
            kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> tuple[dict[str, Any], list[str]]:
    """A KEMU ClusterConfig -> (stack file document, notes)."""
    if not is_kemu_document(document) or document.get("kind") != "ClusterConfig":
        raise KemuImportError(f"not a KEMU ClusterConfig (apiVersion {KEMU_API_VERSION}, kind ClusterConfig)")
    _known_keys(document, DOCUMENT_KEYS, "(document)")
    spec = _known_keys(document.get("spec") or {}, SPEC_KEYS, "spec")
    kind_config = spec.get("kindConfig") or "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n"
    try:
        kind_mapping = load_yaml_text(kind_config, "kindConfig") if isinstance(kind_config, str) else kind_config
    except InputFileError as err:
        raise KemuImportError(f"spec.kindConfig is not valid YAML: {err}") from None
    addons, notes = convert_addons(spec.get("clusterAddons") or [])
    emulation = from_kemu({**document, "spec": {"nodeGroups": spec.get("nodeGroups") or []}})
    config = {
        "clusterforge:cluster": {"name": stack, "description": "imported from a KEMU ClusterConfig"},
        "clusterforge:kubernetes": {"version": kubernetes_version},
        "clusterforge:hosts": {
            "kind": "kind",
            "kindCluster": {"name": stack, "nodeImage": kind_node_image(kubernetes_version),
                            "kindConfig": kind_mapping},
        },
        "clusterforge:emulation": emulation,
    }
    if addons:
        config["clusterforge:addons"] = addons
    return {"config": config}, notes


def _validate(doc: dict[str, Any]) -> None:
    values = {k.split(":", 1)[1]: v for k, v in doc["config"].items()}
    load_stack_config(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clusterforge import-kemu",
                                     description="Convert a KEMU ClusterConfig into stacks/Pulumi.NAME.yaml.")
    parser.add_argument("file", help="KEMU ClusterConfig YAML (apiVersion kemu.datastrophic.io/v1alpha1)")
    parser.add_argument("--stack", required=True, help="name of the stack to write (stacks/Pulumi.NAME.yaml), "
                                                       "a DNS label")
    parser.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION,
                        help=f"Kubernetes version of the kind node image (default {DEFAULT_KUBERNETES_VERSION})")
    parser.add_argument("--root", default=str(PROJECT_ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--force", action="store_true", help="overwrite an existing stack file")
    args = parser.parse_args(argv)

    from components.config.k8s_names import dns1123_label_errors

    if dns1123_label_errors(args.stack):
        print(f"import-kemu: --stack {args.stack!r} is not a DNS label (it names the cluster too); use "
              "lower-case letters, digits and '-'", file=sys.stderr)
        return 2
    out = Path(args.root) / "stacks" / f"Pulumi.{args.stack}.yaml"
    if out.exists() and not args.force:
        print(f"import-kemu: {out} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    try:
        document = read_yaml_file(Path(args.file))
        doc, notes = convert(document, args.stack, args.kubernetes_version)
        _validate(doc)
    except OSError as err:
        print(f"import-kemu: {err}", file=sys.stderr)
        return 2
    except (KemuImportError, ValueError, yaml.YAMLError) as err:
        print(f"import-kemu: {args.file}: {err}", file=sys.stderr)
        return 1
    except ConfigError as err:
        print(f"import-kemu: {args.file} converts to an invalid stack:\n{err}", file=sys.stderr)
        return 1
    header = (f"# Imported from {Path(args.file).name} (KEMU ClusterConfig) by clusterforge import-kemu.\n"
              f"# Render it offline: clusterforge render {args.stack}\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=100))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
