"""Every file in tests/fixtures/invalid is a broken stack config with the exact paths its
errors must name: `{base: STACK, set: {PATH: VALUE}, expect: [PATH, ...]}`."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusterforge.stackfile import apply_overrides, read_stack
from components.config import ConfigError, load_stack_config

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "invalid").glob("*.yaml"))


def test_there_are_enough_fixtures():
    assert len(FIXTURES) >= 20


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_invalid_config_names_exact_paths(path: Path):
    case = yaml.safe_load(path.read_text())
    stack = apply_overrides(read_stack(case["base"]), case["set"])
    with pytest.raises(ConfigError) as caught:
        load_stack_config(stack.namespaced())
    paths = sorted({f.path for f in caught.value.findings})
    assert paths == sorted(case["expect"]), [str(f) for f in caught.value.findings]
    for finding in caught.value.findings:
        # Each error is printable as users type the key, and says what to do.
        assert str(finding).startswith(f"clusterforge:{finding.path}: ")
        assert finding.fix or "give" in finding.message or "use" in finding.message, str(finding)
