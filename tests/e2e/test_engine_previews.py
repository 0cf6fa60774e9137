"""`pulumi preview` of every shipped stack whose providers are built here, before any machine exists.

The real CLI, language host and plugins (command, random, tls, kubernetes, proxmoxve) run
the program on each stack as a user's first preview does: its secrets set with test
values, every endpoint moved to loopback or `.invalid` (tests/e2e/loopback.py, checked
by its guard), charts from an unreachable `.invalid` mirror (a first preview fetches no
chart: the cluster's kubeconfig is not known yet). Each preview must pass with no error,
declare what `clusterforge render` of the same stack file shows, and pass the policy pack.
"""
from __future__ import annotations

import uuid

import pytest

from clusterforge.engine import EngineStack, create_workspace, declared_urns, missing_engine_parts
from clusterforge.stackfile import read_stack
from tests import needs
from tests.e2e.loopback import leaks, loopback
from tests.ssh_keys import ssh_key_pair

# Every shipped stack whose providers exist here but emulated-kwok (test_engine_kwok takes it
# through up and destroy); `cloud` needs the AWS plugin, which is not built.
STACKS = ("datalab", "emulated", "homelab", "onprem")
# One more stack besides emulated-kwok runs the policy pack in the real preview.
POLICY_STACK = "homelab"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    missing = missing_engine_parts()
    if missing:
        needs.missing(f"the real-engine tier needs {', '.join(missing)} (scripts/toolchain.sh builds them)")
    return create_workspace(tmp_path_factory.mktemp("engine-previews"))


def _secrets_needed(stack: EngineStack) -> list[str]:
    from components.plan.load import load_stack, secret_keys_needed

    file = read_stack(stack.name, stack.ws.project)
    cfg = load_stack(file.values, file.secret_keys)
    return sorted(secret_keys_needed(cfg))


def _value_for(key: str, private_key: str) -> str:
    if key == "sshPrivateKey":
        return private_key
    if key == "proxmoxApiToken":
        return f"clusterforge@pve!preview={uuid.uuid4()}"
    return f"preview-{uuid.uuid4().hex}"  # passwords and other free-form secrets


@pytest.fixture(scope="module")
def stacks(workspace):
    private_key, public_key = ssh_key_pair()
    ready = {}
    for name in STACKS:
        st = EngineStack(workspace, name)
        st.init()

        def point_at_nothing(config):
            moved = loopback(config)
            config.clear()
            config.update(moved)
            hosts = config["clusterforge:hosts"]
            if "ssh" in hosts:
                hosts["ssh"]["publicKeys"] = [public_key]
            config.setdefault("clusterforge:addons", {})["chartSource"] = {"repository": "https://charts.invalid/"}

        st.edit(point_at_nothing)
        assert leaks(st.config()) == []
        for key in _secrets_needed(st):
            workspace.set_config(name, f"clusterforge:{key}", _value_for(key, private_key), secret=True)
        ready[name] = st
    return ready


@pytest.mark.parametrize("name", STACKS)
def test_the_first_preview_passes_and_declares_what_the_render_shows(stacks, name, tmp_path):
    st = stacks[name]
    preview = st.preview()
    ops = {s["op"] for s in preview["steps"]}
    assert ops == {"create"}, ops
    assert declared_urns(preview) == st.rendered_urns(tmp_path / "render")


def test_the_policy_pack_passes_in_a_real_preview(stacks):
    out = stacks[POLICY_STACK].run("preview", "--policy-pack", "policy")
    assert "Policies:" in out.stdout and "clusterforge@v" in out.stdout and "mandatory" not in out.stdout, out.stdout[-2000:]


def test_no_engine_run_warns_of_a_plugin_taken_from_path(stacks):
    out = stacks["onprem"].run("preview")
    text = out.stdout + out.stderr
    assert "from $PATH" not in text and "ambient" not in text.lower(), text[-2000:]
    assert "error" not in text.lower(), text[-2000:]
