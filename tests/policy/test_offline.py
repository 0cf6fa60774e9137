"""The policy pack over the mock-runtime resources of every shipped stack, and its config."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from clusterforge.cli import main
from clusterforge.policy_run import POLICY_DIR, PolicyConfigError, check_stack, resolve
from clusterforge.stackfile import stack_names
from clusterforge_policy.catalog import POLICIES


@pytest.mark.parametrize("stack", stack_names())
def test_every_shipped_stack_passes_every_policy(stack):
    results = check_stack(stack)
    assert [r.policy for r in results] == [p.name for p in POLICIES]
    assert {r.policy: [f.message for f in r.findings] for r in results if r.findings} == {}


def test_homelab_with_tls_verification_off_is_refused():
    # The shipped homelab once set hosts.proxmox.insecure: true; the pack refuses that.
    from clusterforge import mockrun
    from clusterforge.stackfile import apply_overrides, read_stack

    original = mockrun.read_stack
    mockrun.read_stack = lambda name, root: apply_overrides(original(name, root), {"hosts.proxmox.insecure": True})
    try:
        results = {r.policy: r for r in check_stack("homelab")}
    finally:
        mockrun.read_stack = original
    [finding] = results["no-tls-verification-disabled"].findings
    assert finding.urn.endswith("pulumi:providers:proxmoxve::proxmox") and "insecure" in finding.message
    assert read_stack("homelab").values["clusterforge:hosts"]["proxmox"].get("insecure") is not True


def test_levels_default_to_mandatory_and_follow_the_pack_config():
    assert {level for level, _ in resolve({}).values()} == {"mandatory"}
    levels = resolve({"all": "advisory", "helm-release-pinned": {"enforcementLevel": "mandatory"},
                      "kwok-only-on-emulated-stacks": {"allowedStacks": ["staging"]}})
    assert levels["helm-release-pinned"] == ("mandatory", {})
    assert levels["no-tls-verification-disabled"] == ("advisory", {})
    assert levels["kwok-only-on-emulated-stacks"] == ("advisory", {"allowedStacks": ["staging"]})


@pytest.mark.parametrize("config, words", [
    ({"no-such-policy": "advisory"}, "no-such-policy"),
    ({"helm-release-pinned": "sometimes"}, "sometimes"),
    ({"helm-release-pinned": 3}, "give a level"),
])
def test_bad_pack_config_is_named(config, words):
    with pytest.raises(PolicyConfigError, match=re.escape(words)):
        resolve(config)


def test_cli_policy_exit_codes_and_markdown(tmp_path, capsys):
    md = tmp_path / "policy.md"
    assert main(["policy", "onprem", "--markdown-out", str(md)]) == 0
    assert "stack onprem: 7 policies, all pass" in capsys.readouterr().out
    assert "**onprem**: 7 policies pass" in md.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"helm-release-pinned": "loud"}))
    assert main(["policy", "onprem", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "loud" in err and "Traceback" not in err


def test_disabled_policies_do_not_run(tmp_path):
    config = {p.name: "disabled" for p in POLICIES[1:]}
    assert [r.policy for r in check_stack("onprem", config)] == [POLICIES[0].name]


def test_pack_pins_match_the_project():
    project = dict(line.split("==") for line in Path(POLICY_DIR.parent / "requirements.txt").read_text().split()
                   if "==" in line)
    pack = dict(line.split("==") for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pack == {k: project[k] for k in pack} and "pulumi-policy" in pack
    meta = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python" and meta["version"]


def test_the_readme_dex_connector_form_passes_the_pack():
    # README: a connector names `$VARIABLE`s, `connectorSecrets` maps them to secret config keys.
    from clusterforge import mockrun
    from clusterforge.stackfile import apply_overrides

    connector = {"type": "github", "id": "github", "name": "GitHub",
                 "config": {"clientID": "Iv1.8a61f9b3a7aba766", "clientSecret": "$GITHUB_CLIENT_SECRET",
                            "redirectURI": "https://192.168.10.200/dex/callback"}}
    original = mockrun.read_stack
    mockrun.read_stack = lambda name, root: apply_overrides(original(name, root), {
        "addons.dex.connectors": [connector],
        "addons.dex.connectorSecrets": {"GITHUB_CLIENT_SECRET": "dexGithubSecret"}})
    try:
        results = check_stack("homelab")
    finally:
        mockrun.read_stack = original
    assert {r.policy: [f.message for f in r.findings] for r in results if r.findings} == {}
