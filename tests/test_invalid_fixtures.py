"""Every file in tests/fixtures/invalid is a broken stack config with the exact paths its
errors must name: `{base: STACK, set: {PATH: VALUE}, expect: [PATH, ...]}`.

`set` paths are inside our namespace unless they name another (`aws:region`); `raw` adds
keys to the stack file's `config:` exactly as written (bare keys, `{secure: ...}` values);
`message` is a fragment the findings' text must contain."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.config import ConfigError

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "invalid").glob("*.yaml"))
STACKS = Path(__file__).resolve().parent.parent / "stacks"


def test_there_are_enough_fixtures():
    assert len(FIXTURES) >= 20


def _stack(case: dict, tmp_path: Path):
    if not case.get("raw"):
        return read_stack(case["base"])
    doc = yaml.safe_load((STACKS / f"Pulumi.{case['base']}.yaml").read_text())
    doc["config"].update(case["raw"])
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / f"Pulumi.{case['base']}.yaml").write_text(yaml.safe_dump(doc))
    return read_stack(case["base"], tmp_path)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_invalid_config_names_exact_paths(path: Path, tmp_path: Path):
    case = yaml.safe_load(path.read_text())
    stack = apply_overrides(_stack(case, tmp_path), case.get("set") or {})
    with pytest.raises(ConfigError) as caught:
        prepare_offline(stack)
    paths = sorted({f.path for f in caught.value.findings})
    assert paths == sorted(case["expect"]), [str(f) for f in caught.value.findings]
    for finding in caught.value.findings:
        # Each error is printable as users type the key, and says what to do.
        assert str(finding).startswith(f"{finding.key}: ")
        assert finding.fix or "give" in finding.message or "use" in finding.message, str(finding)
    assert case["message"] in str(caught.value), str(caught.value)
