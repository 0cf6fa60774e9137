"""Chart values against the chart's own values.schema.json, as Helm validates them before it renders."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from clusterforge.stackfile import read_stack
from components.config.base import ConfigError
from components.plan.load import load_stack_config
from components.plan.rules.chart_schemas import chart_schema_findings, coalesce, schema_findings
from tests.needs import missing

SHARED_CHARTS = Path(__file__).resolve().parents[2].parent / "shared" / "charts"


def _onprem_from_packages(values: dict) -> dict:
    """onprem with only the addons whose packages ../shared/charts holds, installed from there."""
    config = copy.deepcopy(read_stack("onprem").namespaced())
    config["addons"]["calico"]["enabled"] = False
    config["addons"]["openebs"]["enabled"] = False
    config["addons"]["chartSource"] = {"directory": str(SHARED_CHARTS)}
    config["addons"]["metallb"]["values"] = values
    return config


def test_values_the_metallb_schema_refuses_are_named_by_their_path():
    if not (SHARED_CHARTS / "metallb-0.15.2.tgz").is_file():
        missing(f"{SHARED_CHARTS}/metallb-0.15.2.tgz (the upstream chart package)")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_onprem_from_packages({"speaker": {"frr": {"enabled": "yes"}}}))
    [finding] = caught.value.findings
    assert finding.path == "addons.metallb.values.speaker.frr.enabled"
    assert "'yes' is not of type 'boolean'" in finding.message


def test_shipped_stacks_pass_every_schema_the_packages_hold():
    if not SHARED_CHARTS.is_dir():
        missing(f"{SHARED_CHARTS} (the upstream chart packages)")
    assert load_stack_config(_onprem_from_packages({})) is not None
    from clusterforge.stackfile import prepare_offline

    for stack in ("homelab", "datalab", "onprem", "emulated"):
        cfg, _ = prepare_offline(read_stack(stack))
        assert chart_schema_findings(cfg, SHARED_CHARTS) == [], stack


def test_coalesce_merges_over_defaults_and_null_removes():
    defaults = {"a": {"b": 1, "c": 2}, "d": [1], "e": 3}
    assert coalesce(defaults, {"a": {"b": 5}, "d": [2], "e": None}) == {"a": {"b": 5, "c": 2}, "d": [2]}


def test_errors_outside_the_stacks_values_name_the_values_root():
    schema = {"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}},
              "required": ["image"]}
    found = list(schema_findings("addons.x.values", schema, {"replicas": 1}, {"replicas": 0}, {"replicas": 0}))
    assert sorted(f.path for f in found) == ["addons.x.values", "addons.x.values.replicas"]
