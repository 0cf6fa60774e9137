"""Every run of the Pulumi engine here is offline: no plugin download, no update check.

Without PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION and PULUMI_SKIP_UPDATE_CHECK the engine
goes to the internet for a plugin it cannot find. The tests, benches and CLI run the
engine only through clusterforge.engine's workspaces; the workflows set both on every
step that runs a Pulumi command; the toolchain script sets both where it runs the CLI.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from clusterforge.engine import OFFLINE_ENV, Workspace

ROOT = Path(__file__).resolve().parents[2]
NEEDED = {"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "PULUMI_SKIP_UPDATE_CHECK": "true"}


def test_every_workspace_run_is_offline(tmp_path):
    env = Workspace(root=tmp_path, bin_dir=tmp_path).env
    assert {k: env[k] for k in NEEDED} == NEEDED == OFFLINE_ENV
    assert env["PULUMI_BACKEND_URL"].startswith("file://") and env["PULUMI_HOME"].startswith(str(tmp_path))


def _python_files():
    for top in ("clusterforge", "components", "tests", "policy"):
        yield from (ROOT / top).rglob("*.py")


def _cli_paths(tree: ast.AST) -> list[int]:
    """Lines that name the CLI binary (`<dir> / "pulumi"`) or run a bare `pulumi`."""
    lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
             and isinstance(n.right, ast.Constant) and n.right.value == "pulumi"]
    lines += [n.lineno for n in ast.walk(tree) if isinstance(n, ast.List) and n.elts
              and isinstance(n.elts[0], ast.Constant) and n.elts[0].value == "pulumi"]
    return lines


def test_nothing_but_the_workspace_starts_the_cli():
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in _python_files() if path.name != "engine.py"
                 for line in _cli_paths(ast.parse(path.read_text()))]
    assert offenders == []
    assert _cli_paths(ast.parse((ROOT / "clusterforge" / "engine.py").read_text()))  # the check finds it


def test_every_workflow_step_running_pulumi_is_offline():
    steps = 0
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(path.read_text())
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                runs_engine = ("pulumi/actions" in step.get("uses", "") and "command" in (step.get("with") or {})) \
                    or re.search(r"(^|\s)pulumi (preview|up|destroy|refresh)", step.get("run", ""))
                if runs_engine:
                    steps += 1
                    env = {k: str(v) for k, v in (step.get("env") or {}).items()}
                    assert {k: env.get(k) for k in NEEDED} == NEEDED, (path.name, step.get("name"))
    assert steps >= 2  # live preview and deploy


def test_the_toolchain_runs_the_cli_offline():
    text = (ROOT / "scripts" / "toolchain.sh").read_text()
    calls = [line for line in text.splitlines() if '"$cli"' in line or "$cli " in line]
    assert calls
    block = text[text.index("install_plugins() {"):]
    block = block[:block.index("\n}\n")]
    for name, value in NEEDED.items():
        assert f"{name}={value}" in block
