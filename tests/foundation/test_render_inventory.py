"""Layer 2: the inventory.yaml that render writes is the one the phases run with."""
from __future__ import annotations

import json

import pytest
import yaml

from clusterforge.mockrun import run_stack
from clusterforge.render import render_stack, run_inventory
from components.plan.provisioning.inventory import inventory_hosts
from components.plan.provisioning.work import without_registration


@pytest.fixture(scope="module", params=["homelab", "onprem"])
def rendered(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param) / "render"
    result = render_stack(request.param, out)
    return result, yaml.safe_load((out / "inventory.yaml").read_text())


def test_inventory_yaml_is_the_reset_commands_input(rendered):
    result, inventory = rendered
    assert inventory == run_inventory(result.recording)
    assert inventory_hosts(inventory)


def test_every_phase_runs_with_a_slice_of_it(rendered):
    result, inventory = rendered
    hosts = inventory_hosts(inventory)
    shared = inventory["all"]["vars"]
    phases = 0
    for reg in result.recording.resources:
        stdin = reg.inputs.get("stdin") if reg.type == "command:local:Command" else None
        if not isinstance(stdin, str) or not stdin.startswith("{"):
            continue
        phase_inventory = json.loads(stdin)["inventory"]
        for name, host_vars in inventory_hosts(phase_inventory).items():
            assert {k: hosts[name][k] for k in host_vars} == host_vars, (reg.name, name)
        for key, value in phase_inventory["all"]["vars"].items():
            assert key in shared, (reg.name, key)
            if key == "kubeadm_documents":  # the documents of the phase's hosts only
                for host, docs in value.items():
                    assert docs in (shared[key][host], without_registration(shared[key][host])), (reg.name, host)
            else:
                assert value == shared[key], (reg.name, key)
        phases += 1
    assert phases > len(hosts)  # prepare and join per host, and the cluster-wide phases


def test_the_cloud_stack_renders_the_planned_inventory():
    """Cloud addresses are known after apply: the reset command's input is unknown in a
    preview, and the render shows the same plan with the planned hosts."""
    assert run_inventory(run_stack("cloud")) is None
