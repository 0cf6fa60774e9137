"""Long work says what it is doing and how far it is, and what needs root or the network says
so before it starts (issue 24): the progress helper, `check all`, setup and the toolchain."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

from clusterforge import check as check_module
from clusterforge.cli import main
from clusterforge.progress import steps
from clusterforge.stackfile import stack_names

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_print_k_of_n_lines_off_a_terminal():
    out = io.StringIO()
    assert list(steps(["a", "b", "c"], "check", out)) == ["a", "b", "c"]
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == ["check: [1/3] a", "check: [2/3] b", "check: [3/3] c"]
    assert lines[3].startswith("check: 3 done in ")
    quiet = io.StringIO()
    assert list(steps(["only"], "check", quiet)) == ["only"] and quiet.getvalue() == ""


def test_steps_draw_a_bar_on_a_terminal():
    out = Terminal()
    list(steps(["a", "b", "c"], "render", out))
    assert "render: [1/3] a" in out.getvalue() and "render: [3/3] c" in out.getvalue()


class _Report:
    ok = True

    def text(self) -> str:
        return "ok"


def test_check_all_says_which_stack_it_is_on(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(check_module, "check_stack", lambda stack, crd_dir, server: seen.append(stack) or _Report())
    assert main(["check", "all"]) == 0
    err = capsys.readouterr().err
    names = stack_names()
    assert seen == names
    for k, stack in enumerate(names, 1):
        assert f"check: [{k}/{len(names)}] {stack} (" in err


def _setup_tree(tmp: Path, fake_id: str) -> tuple[Path, dict]:
    """A copy of what setup.sh reads, with stand-ins for dpkg (nothing installed) and id."""
    for rel in ("scripts/setup.sh", "requirements.txt", ".ci/apt-packages.txt", "toolchain/versions.env"):
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp / rel)
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    # apt-get and python3 fail if reached: a setup that ignored --plan installs nothing.
    for name, body in (("dpkg", "exit 1"), ("id", f"echo {fake_id}"), ("sudo", "exit 1"), ("apt-get", "exit 1"),
                       ("python3", "exit 1")):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return tmp, {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_setup_says_what_needs_root_and_the_network_before_it_starts(tmp_path):
    tree, env = _setup_tree(tmp_path, "0")
    done = subprocess.run(["bash", "scripts/setup.sh", "--plan", "--test"], cwd=tree, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "setup: 4 step(s):"
    assert "needs root (apt-get) and the network (Debian's mirror)" in lines[1] and "graphviz" in lines[1]
    assert lines[2] == "setup:   - the virtualenv .venv (python3 -m venv)"  # the stand-in: nothing runs it
    assert lines[3].endswith("pinned Python packages and their dependencies into .venv: needs the network (PyPI)")
    assert "needs the network: Go module proxy" in lines[4]
    assert not (tree / ".venv").exists()  # --plan does nothing


def test_setup_as_a_user_without_sudo_says_the_packages_are_skipped(tmp_path):
    tree, env = _setup_tree(tmp_path, "1000")
    done = subprocess.run(["bash", "scripts/setup.sh", "--plan"], cwd=tree, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "Debian packages graphviz: skipped, not root" in done.stdout


def test_toolchain_counts_its_tools(tmp_path):
    """Two tools already built (stamps in a cache of their own): each is counted, k of n."""
    cache = tmp_path / "cache"
    env = {**os.environ, "CLUSTERFORGE_TOOLCHAIN_DIR": str(cache)}
    gover = subprocess.run(["bash", "-c", "go env GOVERSION 2>/dev/null || echo none"], env=env,
                           capture_output=True, text=True).stdout.strip()
    pins = dict(line.split("=", 1) for line in (ROOT / "toolchain/versions.env").read_text().splitlines()
                if "=" in line and not line.startswith("#"))
    for tool, key in (("kwok", "KWOK_VERSION"), ("actionlint", "ACTIONLINT_VERSION")):
        built = cache / f"{tool}-{pins[key]}-{gover}"
        built.mkdir(parents=True)
        (built / ".built").write_text(f"{tool} {pins[key]} 1s\n")
    done = subprocess.run(["bash", str(ROOT / "scripts/toolchain.sh"), "kwok", "actionlint"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"toolchain: [1/2] kwok {pins['KWOK_VERSION']} cached" in done.stderr
    assert f"toolchain: [2/2] actionlint {pins['ACTIONLINT_VERSION']} cached" in done.stderr
