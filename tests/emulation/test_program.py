"""The real program under Pulumi's mock runtime: the emulated stack's registered resources."""
from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
import yaml

from clusterforge.mockrun import run_stack

from .conftest_data import emulated_section

COMMAND = "command:local:Command"


def _scaled(replicas: int) -> dict:
    section = copy.deepcopy(emulated_section())
    for group in section["nodeGroups"]:
        for place in group["placement"]:
            place["replicas"] = replicas
    return {"emulation": section}


@pytest.fixture(scope="module")
def recording():
    return run_stack("emulated")


def test_resource_count_does_not_grow_with_replicas():
    small = run_stack("emulated", _scaled(10))
    large = run_stack("emulated", _scaled(10_000))  # 10,000 per zone: 90,000 nodes
    assert Counter(r.type for r in small.resources) == Counter(r.type for r in large.resources)
    assert len(small.of_type(COMMAND)) == 1 + 3  # kind + one per node group


def test_ten_thousand_nodes_are_still_one_resource_per_group():
    section = copy.deepcopy(emulated_section())
    section["nodeGroups"] = section["nodeGroups"][:1]
    section["nodeGroups"][0]["placement"] = [{"availabilityZone": "use1", "replicas": 10_000}]
    rec = run_stack("emulated", {"emulation": section})
    groups = [r for r in rec.of_type(COMMAND) if r.name.startswith("nodes-")]
    assert len(groups) == 1
    # The compact spec, not the node list, travels through the engine.
    assert len(groups[0].inputs["stdin"]) < 2000
    assert json.loads(groups[0].inputs["stdin"])["zones"] == [["use1", 10_000]]


def test_node_group_commands_carry_spec_secret_kubeconfig_and_dependencies(recording):
    by_name = {r.name: r for r in recording.resources}
    emulation = by_name["emulation"]
    for group in ("a2-ultragpu-8g", "a3-highgpu-8g", "a3-ultragpu-8g"):
        cmd = by_name[f"nodes-{group}"]
        assert cmd.parent == emulation.urn
        spec = json.loads(cmd.inputs["stdin"])
        assert spec["group"] == group and spec["region"] == "us-east1"
        assert cmd.inputs["create"] == cmd.inputs["update"] == ".venv/bin/python -m components.emulation.apply"
        assert cmd.inputs["delete"].endswith(f"--delete {group}")
        assert cmd.inputs["environment"] == "[secret]"
        assert cmd.inputs["addPreviousOutputInEnv"] is True
        deps = {d.split("::")[-1] for d in cmd.dependencies}
        assert {"deployment-kube-system-kwok-controller", "stage-node-initialize", "kind-emulated"} <= deps


def test_kind_cluster_command_and_secret_kubeconfig(recording):
    kind = recording.named("kind-emulated")
    assert kind.type == COMMAND
    create = kind.inputs["create"]
    assert "kind create cluster --name 'emulated'" in create
    assert '--config "$cfg"' in create and '--kubeconfig "$kc"' in create
    assert kind.inputs["delete"] == "kind delete cluster --name 'emulated'"
    assert kind.inputs["environment"]["KIND_NODE_IMAGE"].startswith("kindest/node:v")
    assert yaml.safe_load(kind.inputs["environment"]["KIND_CONFIG"])["kind"] == "Cluster"
    assert kind.options["additionalSecretOutputs"] == ["stdout"]
    assert kind.inputs["logging"] == "stderr"
    # The kubeconfig feeds the provider every addon and the KWOK objects use.
    provider = next(r for r in recording.resources if r.type == "pulumi:providers:kubernetes")
    assert kind.urn in provider.dependencies
    assert recording.outputs["kubeconfig"] in ("[secret]", "(known after apply)")


def test_kwok_objects_use_the_cluster_provider_and_stages_wait_for_the_crd(recording):
    kube = [r for r in recording.resources if r.type.startswith("kubernetes:") and r.custom
            and r.parent.endswith("::emulation")]
    assert kube and all(r.provider == "kubernetes" for r in kube)
    crd = recording.named("kwok-stage-crd")
    for stage in recording.of_type("kubernetes:kwok.x-k8s.io/v1alpha1:Stage"):
        assert crd.urn in stage.dependencies


def test_emulation_is_absent_from_stacks_without_it():
    rec = run_stack("emulated", {"emulation": {}})
    assert not [r for r in rec.resources if r.name == "emulation" or r.name.startswith("nodes-")]
