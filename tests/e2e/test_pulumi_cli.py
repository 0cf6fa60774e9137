"""The real Pulumi CLI (built by scripts/toolchain.sh) reads every shipped stack as we do.

`clusterforge render` evaluates the program with the config our stack reader builds; here
the CLI itself (file backend, passphrase secrets, no network) reads the same files, and
the values must agree key by key. The CLI cannot run the program here (no Python language
host can be built: toolchain/README.md); the last test pins that down, so the day the
host is buildable this test says so.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.kwok_live import toolchain_bin
from clusterforge.stackfile import read_stack, stack_names
from tests.needs import missing


@pytest.fixture(scope="module")
def pulumi(tmp_path_factory):
    binary = toolchain_bin() / "pulumi"
    if not os.access(binary, os.X_OK):
        missing(f"no Pulumi CLI at {binary}; build it with scripts/toolchain.sh pulumi")
    base = tmp_path_factory.mktemp("pulumi")
    project = base / "project"
    files = subprocess.run(["git", "ls-files", "Pulumi.yaml", "stacks"], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for name in files:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, project / name)
    (base / "state").mkdir()
    env = {"PATH": f"{binary.parent}:/usr/bin:/bin", "HOME": str(base), "PULUMI_HOME": str(base / "home"),
           "PULUMI_BACKEND_URL": f"file://{base / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "",
           "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(binary), "--non-interactive", *args], cwd=project, env=env,
                             capture_output=True, text=True, timeout=120)
        if check and out.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)}: {out.stderr}")
        return out
    return run


def test_the_cli_is_the_pinned_release(pulumi):
    versions = dict(line.split("=", 1) for line in (PROJECT_ROOT / "toolchain" / "versions.env").read_text()
                    .splitlines() if line and not line.startswith("#"))
    assert pulumi("version").stdout.strip() == versions["PULUMI_VERSION"]


@pytest.mark.parametrize("stack", stack_names())
def test_the_cli_reads_each_stack_as_the_render_does(pulumi, stack):
    pulumi("stack", "init", stack, "--secrets-provider", "passphrase")
    shown = json.loads(pulumi("config", "--json", "--stack", stack).stdout)
    ours = read_stack(stack)
    for key, value in ours.values.items():
        if key in ours.secret_keys:
            assert shown[key]["secret"] is True
            continue
        entry = shown[key]
        assert entry.get("objectValue", entry.get("value")) == value, key
    # Keys the stack leaves out come from the project's declared defaults (Pulumi.yaml).
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    defaults = {f"clusterforge:{k}": v["default"] for k, v in project["config"].items() if "default" in v}
    for key in set(shown) - set(ours.values):
        assert key in defaults, key
        entry = shown[key]
        assert entry.get("objectValue", entry.get("value")) == defaults[key], key


def test_the_cli_cannot_run_a_python_program_here(pulumi):
    pulumi("stack", "select", "emulated-kwok", check=False)
    out = pulumi("preview", "--stack", "emulated-kwok", check=False)
    assert out.returncode != 0
    assert "no language plugin 'pulumi-language-python' found" in out.stderr + out.stdout
