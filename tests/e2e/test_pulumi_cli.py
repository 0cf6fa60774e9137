"""The real Pulumi CLI (built by scripts/toolchain.sh) reads every shipped stack as we do.

`clusterforge render` evaluates the program with the config our stack reader builds; here
the CLI itself (file backend, passphrase secrets, no network) reads the same files, and
the values must agree key by key. That the CLI then runs the program on them is the
real-engine tier (test_engine_previews.py, test_engine_kwok.py).
"""
from __future__ import annotations

import json

import pytest
import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.engine import EngineError, create_workspace
from clusterforge.stackfile import read_stack, stack_names
from tests.needs import missing


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    try:
        return create_workspace(tmp_path_factory.mktemp("pulumi"))
    except EngineError as err:
        missing(str(err))


def test_the_cli_is_the_pinned_release(workspace):
    versions = dict(line.split("=", 1) for line in (PROJECT_ROOT / "toolchain" / "versions.env").read_text()
                    .splitlines() if line and not line.startswith("#"))
    assert workspace.pulumi("version").stdout.strip() == versions["PULUMI_VERSION"]


def test_every_plugin_the_sdks_ask_for_is_in_the_cache_at_that_version(workspace):
    """The engine finds each plugin at exactly the version its PyPI SDK package asks for."""
    from importlib.metadata import version

    listed = json.loads(workspace.pulumi("plugin", "ls", "--json").stdout)
    have = {(p["name"], p["version"]) for p in listed if p["kind"] == "resource"}
    for package in ("pulumi-command", "pulumi-kubernetes", "pulumi-random", "pulumi-tls", "pulumi-proxmoxve"):
        assert (package.removeprefix("pulumi-"), version(package)) in have, (package, sorted(have))


@pytest.mark.parametrize("stack", stack_names())
def test_the_cli_reads_each_stack_as_the_render_does(workspace, stack):
    workspace.pulumi("stack", "init", stack, "--secrets-provider", "passphrase")
    shown = json.loads(workspace.pulumi("config", "--json", "--stack", stack).stdout)
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
