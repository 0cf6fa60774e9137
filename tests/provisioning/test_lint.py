"""Layer 5: the playbooks pass ansible-lint (production profile); playbooks and stacks pass yamllint."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_ansible_lint_production_profile(project_root):
    result = _run("ansible-lint", "--profile", "production", "playbooks", cwd=project_root)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_yamllint_playbooks_and_stacks(project_root):
    result = _run("yamllint", "--strict", "playbooks", "stacks", cwd=project_root)
    assert result.returncode == 0, result.stdout[-4000:]
