"""Renders are byte-identical from any checkout path and any way of starting Python: two
clones of this repository, each rendered by its own code, started differently."""
from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from clusterforge import PROJECT_ROOT

VENV = Path(sys.executable).parent


def _clone(dest: Path) -> Path:
    head = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(PROJECT_ROOT), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", head], check=True)
    return dest


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_two_clones_render_byte_identical_files(tmp_path):
    a, b = _clone(tmp_path / "first" / "clusterforge"), _clone(tmp_path / "elsewhere" / "deeper" / "cf")
    starts = {
        # `python -m` from one clone ...
        a: [str(VENV / "python"), "-m", "clusterforge.cli", "render", "all"],
        # ... and another interpreter name through runpy from the other.
        b: [str(VENV / "python3"), "-c", "import runpy, sys; sys.argv = ['clusterforge', 'render', 'all']; "
            "runpy.run_module('clusterforge.cli', run_name='__main__', alter_sys=True)"],
    }
    for clone, argv in starts.items():
        run = subprocess.run(argv, cwd=clone, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
        assert str(clone) in run.stdout   # each clone rendered its own checkout
    first, second = a / "build", b / "build"
    assert _files(first) == _files(second) and _files(first)
    different = [str(rel) for rel in _files(first) if not filecmp.cmp(first / rel, second / rel, shallow=False)]
    assert different == []
