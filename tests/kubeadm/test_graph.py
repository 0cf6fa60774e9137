"""The provisioning phases in the real program under Pulumi's mock runtime."""
from __future__ import annotations

import json

import pytest

from clusterforge.mockrun import SECRET_TEXT, run_stack
from components.provisioning.plan import PHASES
from components.provisioning.tree_hash import playbook_tree_hash

COMMAND = "command:local:Command"


@pytest.fixture(scope="module", params=["homelab", "onprem"])
def recording(request):
    return request.param, run_stack(request.param)


def phase_inputs(command):
    """(inventory, variables) a phase reads on stdin."""
    document = json.loads(command.inputs["stdin"])
    return document["inventory"], document["variables"]


def phases(recording):
    stack, rec = recording
    return {phase: rec.named(f"{stack}-{phase}") for phase in PHASES}


def test_one_command_per_phase_in_order_each_waiting_for_the_previous(recording):
    stack, rec = recording
    commands = phases(recording)
    assert sorted(r.name for r in rec.of_type(COMMAND)) == \
        sorted([f"{stack}-{p}" for p in PHASES] + ["reset-on-destroy"])
    for before, after in zip(PHASES, PHASES[1:]):
        assert commands[before].urn in commands[after].dependencies
    prepare = commands["prepare"]
    machines = [r.urn for r in rec.resources if r.custom and r.type.startswith("proxmoxve:index/vm")]
    assert set(machines) <= set(prepare.dependencies)
    assert len(machines) >= (6 if stack == "homelab" else 0)
    assert all(c.parent.endswith(f"clusterforge:index:Cluster::{stack}") for c in commands.values())


def test_commands_run_the_runner_with_inputs_on_stdin(recording):
    for phase, command in phases(recording).items():
        create = command.inputs["create"]
        assert f"scripts/run-phase {phase} --input -" in create
        inventory, variables = phase_inputs(command)
        assert inventory["all"]["children"]["k8s_cluster"]["children"]["control_plane"]["hosts"]
        assert variables["kubeadm_init_host"] in variables["kubeadm_documents"]
        assert command.inputs["logging"] == "stderr"


def test_triggers_are_hashes_of_playbooks_inventory_and_variables(recording):
    from components.provisioning.plan import digest
    commands = phases(recording)
    for command in commands.values():
        inventory, variables = phase_inputs(command)
        assert command.inputs["triggers"] == [
            f"playbooks:{playbook_tree_hash()}", f"inventory:{digest(inventory)}", f"variables:{digest(variables)}"]


def test_an_unchanged_stack_gives_identical_triggers_and_a_change_alters_them(recording):
    stack, rec = recording
    again = run_stack(stack)
    assert [again.named(f"{stack}-{p}").inputs["triggers"] for p in PHASES] == \
        [rec.named(f"{stack}-{p}").inputs["triggers"] for p in PHASES]
    changed = run_stack(stack, {"kubernetes.podCidr": "10.200.0.0/16"})
    before, after = rec.named(f"{stack}-join").inputs["triggers"], changed.named(f"{stack}-join").inputs["triggers"]
    assert before[:2] == after[:2] and before[2] != after[2]


def test_destroy_resets_the_nodes_through_a_command_that_is_never_replaced(recording):
    stack, rec = recording
    reset = rec.named("reset-on-destroy")
    assert "create" not in reset.inputs and "update" not in reset.inputs   # nothing runs on up
    assert "scripts/run-phase reset --input -" in reset.inputs["delete"]
    assert "CLUSTERFORGE_SKIP_RESET" in reset.inputs["delete"]
    assert "triggers" not in reset.inputs    # never replaced, so never a reset of a live cluster
    prepare = phases(recording)["prepare"]
    assert (reset.inputs["environment"], reset.inputs["stdin"]) == (prepare.inputs["environment"],
                                                                    prepare.inputs["stdin"])
    # destroy deletes dependents first: every phase, then this reset, then the machines
    assert reset.urn in phases(recording)["prepare"].dependencies
    machines = [r.urn for r in rec.resources if r.custom and r.type.startswith("proxmoxve:index/vm")]
    assert set(machines) <= set(reset.dependencies)


def test_no_secret_in_plain_text_and_the_kubeconfig_is_secret(recording):
    stack, rec = recording
    for command in [*phases(recording).values(), rec.named("reset-on-destroy")]:
        env = command.inputs["environment"]
        assert env.get("CLUSTERFORGE_SSH_KEY", SECRET_TEXT) == SECRET_TEXT
        assert "PRIVATE KEY" not in json.dumps(command.inputs)
        assert "CLUSTERFORGE_SSH_KEY" not in command.inputs.get("create", "") + command.inputs.get("delete", "")
    assert rec.outputs["kubeconfig"] == SECRET_TEXT


def test_the_environment_names_are_the_ones_the_runner_reads(recording):
    """The wiring and part A's runner CLI meet only through these names."""
    from components.provisioning import runner
    for command in phases(recording).values():
        for name in command.inputs["environment"]:
            assert name in runner.__doc__, name


def test_commands_name_no_checkout_path_and_no_interpreter(recording):
    """What a command keeps in state is the same from every clone and every Python start:
    no `dir`, the runner by a path relative to the project, no interpreter path."""
    import sys
    from pathlib import Path

    from components.provisioning import RUN_PHASE
    stack, rec = recording
    root = str(Path(__file__).resolve().parents[2])
    for command in rec.of_type(COMMAND):
        assert "dir" not in command.inputs, command.name
        text = json.dumps(command.inputs)
        assert root not in text and sys.executable not in text and "python" not in text, command.name
        script = command.inputs.get("create") or command.inputs["delete"]
        assert f"{RUN_PHASE} " in script, command.name
    assert (Path(root) / RUN_PHASE).stat().st_mode & 0o111
