"""`clusterforge render`: artifacts, determinism, secrets, unknowns and the CLI's exit codes."""
from __future__ import annotations

import filecmp
import json

import pytest
import yaml

from clusterforge.cli import main
from clusterforge.render import render_stack
from clusterforge.stackfile import stack_names


def _tree(path):
    return sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("stack", stack_names())
def test_render_is_byte_identical_across_runs(stack, tmp_path):
    a = render_stack(stack, tmp_path / "a").out
    b = render_stack(stack, tmp_path / "b").out
    assert _tree(a) == _tree(b)
    for rel in _tree(a):
        assert filecmp.cmp(a / rel, b / rel, shallow=False), rel


def test_render_writes_every_artifact(tmp_path):
    out = render_stack("homelab", tmp_path / "homelab").out
    for name in ("plan.json", "inventory.yaml", "graph.dot", "graph.svg", "notes.txt"):
        assert (out / name).is_file(), name
    assert (out / "manifests").is_dir() and (out / "releases").is_dir()
    plan = json.loads((out / "plan.json").read_text())
    assert plan["stack"] == "homelab"
    for entry in plan["resources"]:
        assert {"urn", "type", "name", "parent", "dependencies", "inputs"} <= set(entry)
    inventory = yaml.safe_load((out / "inventory.yaml").read_text())
    cps = inventory["all"]["children"]["k8s_cluster"]["children"]["control_plane"]["hosts"]
    assert sorted(cps) == ["cp-1", "cp-2", "cp-3"]
    assert (out / "graph.svg").read_text().lstrip().startswith("<?xml")


def test_secrets_are_masked_in_every_artifact(tmp_path):
    from clusterforge import render as render_module
    from clusterforge.stackfile import read_stack

    marker = "proxmox-token-do-not-leak-77"
    token = f"root@pam!{marker}=0b5c1e6f-4d0a-5b7e-9a57-6b7775636c75"  # a well-formed token around it
    original = render_module.read_stack

    def with_secret(name, root):
        stack = original(name, root)
        stack.values["clusterforge:proxmoxApiToken"] = token
        stack.secret_keys.add("clusterforge:proxmoxApiToken")
        return stack

    render_module.read_stack = with_secret
    try:
        out = render_stack("homelab", tmp_path / "homelab").out
    finally:
        render_module.read_stack = original
    assert read_stack  # the real reader is back
    for rel in _tree(out):
        assert marker not in (out / rel).read_text(errors="replace"), rel


def test_cli_render_reports_bad_config_without_traceback(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    assert main(["render", "no-such-stack"]) == 2
    err = capsys.readouterr().err
    assert "no stack named 'no-such-stack'" in err and "Traceback" not in err


def test_cli_usage_error_exits_2():
    with pytest.raises(SystemExit) as caught:
        main(["render"])
    assert caught.value.code == 2
