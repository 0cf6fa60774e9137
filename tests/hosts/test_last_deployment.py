"""Checks against what the last deployment built: a host leaves the config only after it
was retired, and a running VM keeps its VM ID (a changed ID replaces the VM).

The previous deployment is a test double at the one boundary the program reads it
through: the engine's `pulumi:pulumi:readStackOutputs` for this stack (the mock runtime
answers it with `previous_outputs`, as the engine answers from the saved checkpoint)."""
from __future__ import annotations

import pytest

from clusterforge.mockrun import ProgramRefused, run_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.config import ConfigError
from components.plan.deployed import Deployed, dropped_host_findings, recorded
from components.plan.stack_plan import build_plan

HOMELAB = ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2", "worker-3"]
WITHOUT_WORKER_3 = {"hosts.pools[1].count": 2, "hosts.overrides": {}}


def config(overrides=None):
    cfg, _ = prepare_offline(apply_overrides(read_stack("homelab"), overrides))
    return cfg


def previous(overrides=None):
    """The outputs a completed deployment of homelab (with `overrides`) saved."""
    return {"clusterName": "homelab", "kubeconfig": "[secret]", "kubernetesVersion": "1.36.2",
            **recorded(build_plan(config(overrides)))}


def test_the_record_lists_every_declared_host_and_the_retired_ones():
    assert recorded(build_plan(config())) == {"hosts": HOMELAB, "retiredHosts": [], "vmIds": {
        "cp-1": 201, "cp-2": 202, "cp-3": 203, "worker-1": 301, "worker-2": 302, "worker-3": 303}}
    assert recorded(build_plan(config({"hosts.retire": ["worker-3"]})))["retiredHosts"] == ["worker-3"]


def test_dropping_a_host_never_retired_is_refused_with_the_pool_path_and_the_fix():
    [finding] = dropped_host_findings(build_plan(config(WITHOUT_WORKER_3)), Deployed.from_outputs(previous()))
    assert str(finding) == (
        "clusterforge:hosts.pools[1].count: worker-3 is in the cluster (the last deployment has it) but no "
        "longer declared, and was never retired: dropping it now deletes its machine without draining it "
        "(fix: declare worker-3 again and list it in hosts.retire; once `pulumi up` has drained and removed "
        "it, drop it from both)")
    renamed_pool = config({"hosts.pools[1].name": "node", "hosts.overrides": {}})
    paths = {f.path for f in dropped_host_findings(build_plan(renamed_pool), Deployed.from_outputs(previous()))}
    assert paths == {"hosts.pools"}


@pytest.mark.parametrize("outputs", [{}, {"clusterName": "homelab", "kubeconfig": "[secret]"}],
                         ids=["new stack", "deployed by an older clusterforge"])
def test_nothing_to_check_against_refuses_nothing(outputs):
    assert dropped_host_findings(build_plan(config(WITHOUT_WORKER_3)), Deployed.from_outputs(outputs)) == []


def test_the_program_refuses_before_declaring_any_resource():
    with pytest.raises(ProgramRefused) as refused:
        run_stack("homelab", WITHOUT_WORKER_3, previous_outputs=previous())
    assert [e.split(":")[1] for e in refused.value.errors()] == ["hosts.pools[1].count"]
    assert [r.type for r in refused.value.recording.resources] == ["pulumi:pulumi:Stack"]


def test_retire_then_drop_goes_through_and_drops_the_machine():
    # change 1: retire worker-3 (the deployment records it as retired once remove-node ran)
    retired = {"hosts.retire": ["worker-3"]}
    run_stack("homelab", retired, previous_outputs=previous())
    # change 2: drop it from the pool and from hosts.retire
    rec = run_stack("homelab", WITHOUT_WORKER_3, previous_outputs=previous(retired))
    assert "worker-3" not in {r.name for r in rec.resources}


def test_the_record_is_exported_only_once_provisioning_is_done():
    outputs = run_stack("homelab").outputs
    # In a preview the phases have not run, so the record is not known yet: a failed `up`
    # (say remove-node) never saves a record claiming it was done.
    assert outputs["hosts"] == outputs["retiredHosts"] == "(known after apply)"
    assert outputs["clusterName"] == "homelab"


def _refusals(overrides, outputs):
    with pytest.raises(ProgramRefused) as refused:
        run_stack("homelab", overrides, previous_outputs=outputs)
    return refused.value.errors()


def test_a_running_vm_keeps_its_vm_id():
    errors = _refusals({"hosts.proxmox.vmIdStart": 1001}, previous())
    assert len(errors) == 6
    assert errors[0] == ("clusterforge:hosts.overrides.cp-1.vmId: cp-1 runs as VM 201 (the last deployment "
                         "recorded it); this config gives it VM ID 1001, and a changed VM ID replaces (deletes) "
                         "the VM (fix: keep its ID: hosts.overrides.cp-1.vmId: 201)")
    pinned = {"hosts.proxmox.vmIdStart": 1001, "hosts.pools[0].vmIdBase": 201, "hosts.pools[1].vmIdBase": 301}
    assert "cp-1" in {r.name for r in run_stack("homelab", pinned, previous_outputs=previous()).resources}


OLDER_CLUSTERFORGE = {"clusterName": "homelab", "kubeconfig": "[secret]", "kubernetesVersion": "1.36.2"}
SEQUENTIAL_WORKERS = {"worker-1": 204, "worker-2": 205, "worker-3": 206}


def test_upgrading_from_one_vm_id_sequence_keeps_every_vm():
    """An older clusterforge numbered VMs 201-206 over both pools and recorded nothing."""
    errors = _refusals(None, OLDER_CLUSTERFORGE)
    assert [e.split(":")[1] for e in errors] == [f"hosts.overrides.{name}.vmId" for name in SEQUENTIAL_WORKERS]
    assert errors[0].endswith("(fix: if the VM exists, keep its ID: hosts.overrides.worker-1.vmId: 204)")
    pins = {f"hosts.overrides.{name}.vmId": vm_id for name, vm_id in SEQUENTIAL_WORKERS.items()}
    rec = run_stack("homelab", pins, previous_outputs=OLDER_CLUSTERFORGE)
    assert {r.name: r.inputs["vmId"] for r in rec.resources if r.name.startswith("worker-")} == SEQUENTIAL_WORKERS
    assert ("warning", "clusterforge: the last deployment recorded no host list (an older clusterforge); "
            "hosts dropped from the config are checked from the next run on") in rec.logs
    # Growing the control planes into a pinned ID is refused, never shifted.
    stack = apply_overrides(read_stack("homelab"), {**pins, "hosts.pools[0].count": 5})
    with pytest.raises(ConfigError) as caught:
        prepare_offline(stack)
    assert "VM ID 204 of worker-1 is already used by cp-4" in str(caught.value)
