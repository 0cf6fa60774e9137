"""The rules registry: every rule judges every shipped stack without raising, and a rule that
cannot judge a value reports one finding at its path instead of a traceback."""
from __future__ import annotations

import pytest

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack, stack_names
from components.config import ConfigError
from components.plan import rules as registry
from components.plan.stack_plan import build_plan


@pytest.mark.parametrize("stack", stack_names())
def test_every_rule_judges_every_shipped_stack_without_a_finding(stack):
    cfg, _ = prepare_offline(read_stack(stack))
    hosts = build_plan(cfg).host_plans
    for rule in registry.RULES:
        assert rule.check(cfg, hosts) == [], rule.name


def test_a_rule_that_raises_is_one_finding_at_its_path(monkeypatch):
    def broken(cfg, hosts):
        raise KeyError("podinfo")

    monkeypatch.setattr(registry, "RULES", registry.RULES + (registry.Rule("broken", ("addons.charts",), broken),))
    with pytest.raises(ConfigError) as caught:
        prepare_offline(apply_overrides(read_stack("onprem"), {}))
    [finding] = caught.value.findings
    assert finding.path == "addons.charts" and "could not be checked (broken: KeyError" in finding.message
    assert finding.fix
