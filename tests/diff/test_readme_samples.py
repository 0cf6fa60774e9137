"""The README's sample output is made here from real renders and runs (issue 24), so it cannot
go stale: each block between `<!-- sample NAME -->` and `<!-- end sample -->` must be exactly
what the code prints today. After a change that alters one, rewrite them with
`CLUSTERFORGE_WRITE_SAMPLES=1 .venv/bin/python -m pytest -q tests/diff/test_readme_samples.py`
and review the README's diff like any other."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from clusterforge.diff import as_text, diff_plans, load_plan
from clusterforge.diff_markdown import comment
from clusterforge.mockrun import ProgramRefused, run_stack
from clusterforge.policy_run import as_markdown as policy_markdown
from clusterforge.policy_run import check_stack as policy_check
from clusterforge.render import render_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.config import ConfigError
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION
from components.plan.deployed import fixed_at_creation, recorded
from components.plan.stack_plan import build_plan

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- sample (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end sample -->)", re.S)
major, minor, patch = DEFAULT_KUBERNETES_VERSION.split(".")
# The edit the README walks through: a Kubernetes patch release and one worker label.
PATCH_AND_LABEL = {"kubernetes.version": f"{major}.{minor}.{int(patch) + 1}",
                   "hosts.overrides.worker-2.labels": {"gpu": "true"}}


def _diff(tmp: Path):
    base = render_stack("homelab", tmp / "base" / "homelab").out
    head = render_stack("homelab", tmp / "head" / "homelab", overrides=PATCH_AND_LABEL).out
    return diff_plans(load_plan(base), load_plan(head))


def _config_errors() -> str:
    bad = {"kubernetes.serviceCidr": "10.244.128.0/20", "hosts.pools[0].count": 2}
    with pytest.raises(ConfigError) as caught:
        prepare_offline(apply_overrides(read_stack("homelab"), bad))
    return "\n".join(str(f) for f in caught.value.findings)


def _fixed_field_refusal() -> str:
    cfg, _ = prepare_offline(read_stack("homelab"))
    plan = build_plan(cfg)
    deployed = {"clusterName": "homelab", **recorded(plan), "fixedAtCreation": fixed_at_creation(plan, None)}
    with pytest.raises(ProgramRefused) as refused:
        run_stack("homelab", {"kubernetes.serviceCidr": "10.112.0.0/12"}, previous_outputs=deployed)
    return "\n".join(refused.value.errors())


def samples(tmp: Path) -> dict[str, str]:
    d = _diff(tmp)
    return {
        "config-errors": f"```\n{_config_errors()}\n```\n",
        "fixed-field": f"```\n{_fixed_field_refusal()}\n```\n",
        "diff-text": f"```\n{as_text(d)}```\n",
        "pr-comment": f"`````markdown\n{comment([d])}\n{policy_markdown({'homelab': policy_check('homelab')})}`````\n",
    }


def test_the_readme_samples_are_what_the_code_prints(tmp_path):
    made = samples(tmp_path)
    text = README.read_text()
    found = {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}
    assert set(found) == set(made), "the README's sample blocks and this test's samples must match one to one"
    if os.environ.get("CLUSTERFORGE_WRITE_SAMPLES") == "1":
        README.write_text(BLOCK.sub(lambda m: m.group(1) + made[m.group("name")] + m.group(4), text))
        return
    for name, body in made.items():
        assert found[name] == body, f"README sample {name} is stale: rewrite it (see this module's docstring)"
