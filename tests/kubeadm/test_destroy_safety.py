"""Only `pulumi destroy` resets nodes: the reset-on-destroy command under ordinary changes,
and cluster.protect, which a destroy needs turned off first (as README says)."""
from __future__ import annotations

import re
import shlex

import pytest

from clusterforge.mockrun import run_prepared, run_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from tests.conftest import ROOT
from tests.ssh_keys import ssh_key_pair

RESET_ON_DESTROY = "reset-on-destroy"  # the fixed name README and state know it by

# pulumi-command 1.2.1 (provider/pkg/provider/common/inputs.go): `triggers` is the only
# Command input tagged replaceOnChanges; the Python SDK sends it as the resource option below.
REPLACING_INPUTS = ("triggers",)
SDK_REPLACE_ON_CHANGES = ["triggers[*]"]


def _reset(rec):
    return rec.named(RESET_ON_DESTROY)


KEY_ONE, KEY_TWO = ssh_key_pair(), ssh_key_pair()


def _with_ssh_key(stack: str, pair: tuple[str, str]):
    """The stack with the SSH key pair set as `pulumi config set --secret` would."""
    key, public_key = pair
    stack_file = apply_overrides(read_stack(stack), {"hosts.ssh.publicKeys": [public_key]})
    stack_file.values["clusterforge:sshPrivateKey"] = key
    stack_file.secret_keys.add("clusterforge:sshPrivateKey")
    prepare_offline(stack_file)
    return run_prepared(stack_file)


@pytest.fixture(scope="module", params=["homelab", "onprem"])
def baseline(request):
    return request.param, _with_ssh_key(request.param, KEY_ONE)


CHANGES = {
    "cluster renamed": lambda stack: run_stack(stack, {"cluster.name": "renamed"}),
    "host added": lambda stack: run_stack(stack, {"hosts.pools[1].count": 4} if stack == "homelab"
                                          else {"hosts.pools[1].addresses": ["172.20.1.21", "172.20.1.22",
                                                                             "172.20.1.23"]}),
    "ssh key rotated": lambda stack: _with_ssh_key(stack, KEY_TWO),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_no_ordinary_change_deletes_replaces_or_runs_the_reset(baseline, change):
    stack, before = baseline
    after = CHANGES[change](stack)
    old, new = _reset(before), _reset(after)
    assert new.urn == old.urn  # the same resource to the engine: nothing is deleted
    assert new.options["replaceOnChanges"] == SDK_REPLACE_ON_CHANGES
    for key in REPLACING_INPUTS:  # so the provider never answers "replace"
        assert key not in old.inputs and key not in new.inputs
    assert "create" not in new.inputs and "update" not in new.inputs  # an update runs nothing
    assert new.options.get("protect") is True


def test_the_change_under_test_really_reaches_the_reset_inputs(baseline):
    """Guards the test above: a host added changes the inventory the reset keeps."""
    stack, before = baseline
    after = CHANGES["host added"](stack)
    assert _reset(after).inputs["stdin"] != _reset(before).inputs["stdin"]  # inventory travels on stdin


def test_the_name_is_fixed_and_aliased_to_the_cluster_named_one_of_earlier_versions():
    fresh = _reset(run_stack("homelab"))
    assert fresh.name == "reset-on-destroy"
    assert fresh.options["aliases"] == ["homelab-reset-on-destroy"]
    renamed = _reset(run_stack("homelab", {"cluster.name": "lab"}, previous_outputs={
        "clusterName": "homelab", "hosts": ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2", "worker-3"],
        "retiredHosts": []}))
    assert renamed.options["aliases"] == ["homelab-reset-on-destroy", "lab-reset-on-destroy"]


README_DESTROY = re.compile(r"^pulumi config set --path (\S+) (\S+)$", re.M)


def _readme_unprotect() -> tuple[str, str]:
    [(key, value)] = README_DESTROY.findall((ROOT / "README.md").read_text())
    return shlex.split(key)[0], value


def test_readme_tells_how_to_lift_protection_before_destroy():
    key, value = _readme_unprotect()
    assert key == "clusterforge:cluster.protect" and value == "false"
    text = (ROOT / "README.md").read_text()
    assert "pulumi destroy" in text[text.index(f"pulumi config set --path '{key}'"):]


@pytest.mark.parametrize("stack, machine", [("homelab", "proxmoxve:index/vmLegacy:VmLegacy"),
                                            ("cloud", "aws:ec2/instance:Instance")])
def test_protection_is_on_by_default_and_the_readme_setting_lifts_all_of_it(stack, machine):
    protected = run_stack(stack)
    assert _reset(protected).options.get("protect") is True
    assert [r.name for r in protected.of_type(machine) if r.options.get("protect")] == \
        [r.name for r in protected.of_type(machine) if r.name.startswith("cp-")]
    key, value = _readme_unprotect()
    # `pulumi config set --path` stores the value as typed; the program reads it as a boolean.
    for typed in (value, False):
        lifted = run_stack(stack, {key.split(":", 1)[1]: typed})
        assert [r.name for r in lifted.resources if r.options.get("protect")] == []
        # "records the lifted protection; changes nothing else"
        assert {r.urn: r.inputs for r in lifted.resources} == {r.urn: r.inputs for r in protected.resources}
