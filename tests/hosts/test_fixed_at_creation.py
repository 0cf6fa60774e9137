"""Fields a running cluster fixed at creation (issue 24): once the stack is deployed, a change
to one is refused before anything is declared, naming the field, why, and the way to do it.

The previous deployment is the engine's `readStackOutputs` answer, as in test_last_deployment."""
from __future__ import annotations

import pytest

from clusterforge.mockrun import ProgramRefused, run_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.plan.deployed import Deployed, deployed_findings, fixed_at_creation, recorded
from components.plan.fixed_fields import FIXED_FIELDS, fixed_field_findings, fixed_values
from components.plan.stack_plan import build_plan


def config(stack="homelab", overrides=None):
    cfg, _ = prepare_offline(apply_overrides(read_stack(stack), overrides))
    return cfg


def deployment(stack="homelab", overrides=None):
    """The outputs a completed deployment of `stack` saved."""
    plan = build_plan(config(stack, overrides))
    return {"clusterName": stack, "kubeconfig": "[secret]", **recorded(plan),
            "fixedAtCreation": fixed_at_creation(plan, None)}


def test_a_deployment_records_what_kubeadm_and_calico_fixed():
    assert fixed_values(config()) == {
        "kubernetes.serviceCidr": "10.96.0.0/12", "kubernetes.podCidr": "10.244.0.0/16",
        "kubernetes.clusterDomain": "cluster.local", "kubernetes.controlPlaneEndpoint": "192.168.10.10:6443",
        "provisioning.airGapped.imageRepository": "(the public registry)", "addons.calico.blockSize": "26"}
    # kind and kwok clusters are not kubeadm's: nothing recorded, nothing refused
    assert fixed_values(config("emulated")) == {}


def test_changing_the_service_range_of_a_deployed_stack_is_refused_before_anything_is_declared():
    with pytest.raises(ProgramRefused) as refused:
        run_stack("homelab", {"kubernetes.serviceCidr": "10.112.0.0/12"}, previous_outputs=deployment())
    [error] = refused.value.errors()
    assert error.startswith("clusterforge:kubernetes.serviceCidr: the running cluster was created with "
                            "10.96.0.0/12 and this config says 10.112.0.0/12, but the field is fixed at creation: "
                            "kubeadm init gave it to the API server")
    assert "ServiceCIDR object" in error and "set it back to 10.96.0.0/12" in error
    assert [r.type for r in refused.value.recording.resources] == ["pulumi:pulumi:Stack"]


@pytest.mark.parametrize("overrides,path", [
    ({"kubernetes.podCidr": "10.240.0.0/13"}, "kubernetes.podCidr"),
    ({"kubernetes.clusterDomain": "home.internal"}, "kubernetes.clusterDomain"),
    ({"kubernetes.ha.vip": "192.168.10.9"}, "kubernetes.ha.vip"),
    ({"kubernetes.controlPlaneEndpoint": {"host": "k8s.home.arpa"}}, "kubernetes.controlPlaneEndpoint"),
    ({"addons.calico.blockSize": 24}, "addons.calico.blockSize"),
])
def test_every_field_fixed_at_creation_is_refused_with_its_path(overrides, path):
    cfg = config(overrides=overrides)
    [finding] = deployed_findings(build_plan(cfg), Deployed.from_outputs(deployment()))
    assert finding.path == path and "fixed at creation" in finding.message and finding.fix


def test_what_can_change_goes_through():
    # The version (upgrade), SANs (cert-sans), labels (node-config) each have their step.
    edit = {"kubernetes.version": "1.36.5", "kubernetes.certSans": ["k8s.home.arpa", "api.home.arpa"],
            "hosts.overrides.worker-2.labels": {"gpu": "true"}}
    assert deployed_findings(build_plan(config(overrides=edit)), Deployed.from_outputs(deployment())) == []
    run_stack("homelab", edit, previous_outputs=deployment())


def test_a_new_stack_or_an_older_record_refuses_nothing_and_the_record_keeps_the_first_values():
    edit = config(overrides={"kubernetes.serviceCidr": "10.112.0.0/12"})
    assert fixed_field_findings(edit, None) == [] and fixed_field_findings(edit, {}) == []
    older = Deployed.from_outputs({"clusterName": "homelab", "kubeconfig": "[secret]"})
    assert older.fixed is None and fixed_field_findings(edit, older.fixed) == []
    # A run that passes carries the recorded values forward, not a reading of its own.
    kept = Deployed.from_outputs(deployment())
    assert fixed_at_creation(build_plan(config()), kept) == kept.fixed


def test_every_fixed_field_names_why_and_a_way():
    for f in FIXED_FIELDS:
        assert f.why and f.way and f.path.split(".")[0] in ("kubernetes", "addons", "provisioning")


def test_the_control_plane_image_registry_is_fixed_too():
    [finding] = fixed_field_findings(config(), {"provisioning.airGapped.imageRepository": "registry.dc1/k8s"})
    assert finding.path == "provisioning.airGapped.imageRepository"
    assert "created with registry.dc1/k8s and this config says (the public registry)" in finding.message
