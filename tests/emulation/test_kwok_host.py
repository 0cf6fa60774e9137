"""The `kwok` host kind: kwokctl's cluster as a Command, its rules, and the graph order.

Under the mock runtime: what the program declares for the `emulated-kwok` stack. The
commands themselves run against real binaries in tests/e2e.
"""
from __future__ import annotations

import copy
import shlex

import pytest
import yaml
from hypothesis import given, strategies as st

from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack
from components.config.base import ConfigError
from components.config.kwok_cluster import KwokClusterConfig
from components.plan.load import load_stack_config
from components.plan.emulation import kwokctl

COMMAND = "command:local:Command"
STACK = "emulated-kwok"


@pytest.fixture(scope="module")
def recording():
    return run_stack(STACK)


def _config() -> dict:
    return copy.deepcopy(read_stack(STACK).namespaced())


def _findings(config: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_stack_config(config)
    return [str(f) for f in err.value.findings]


def test_the_cluster_is_one_command_whose_kubeconfig_is_secret(recording):
    cluster = recording.named("kwok-emulated-kwok")
    assert cluster.type == COMMAND
    assert cluster.parent == recording.named("emulated-kwok").urn
    create = cluster.inputs["create"]
    assert "KWOK_KUBE_VERSION=v1.36.4 kwokctl create cluster --name emulated-kwok --runtime binary" in create
    assert "--enable-crds Stage" in create and create.endswith("kwokctl get kubeconfig --name emulated-kwok")
    assert cluster.inputs["delete"] == "kwokctl delete cluster --name emulated-kwok"
    assert cluster.options["additionalSecretOutputs"] == ["stdout"]
    assert cluster.options["deleteBeforeReplace"] is True
    assert cluster.inputs["logging"] == "stderr"  # stdout (the kubeconfig) stays out of logs


def test_kwokctl_brings_the_controller_and_the_stage_crd(recording):
    types = {r.type for r in recording.resources}
    names = {r.name for r in recording.resources}
    assert "kubernetes:yaml/v2:ConfigFile" not in types  # no CRD fetched from a URL
    assert not any("kwok-controller" in n for n in names)
    assert "kubernetes:apps/v1:Deployment" not in types
    stages = recording.of_type("kubernetes:kwok.x-k8s.io/v1alpha1:Stage")
    assert stages and all(recording.named("kwok-emulated-kwok").urn in s.dependencies for s in stages)


def test_node_groups_come_before_the_addons_that_need_them(recording):
    stage_urns = {s.urn for s in recording.of_type("kubernetes:kwok.x-k8s.io/v1alpha1:Stage")}
    groups = [r for r in recording.of_type(COMMAND) if r.name.startswith("nodes-")]
    assert {g.name for g in groups} == {"nodes-system", "nodes-a2-ultragpu-8g", "nodes-a3-highgpu-8g",
                                        "nodes-a3-ultragpu-8g"}
    release = recording.named("kube-prometheus-stack")
    for g in groups:
        assert stage_urns <= set(g.dependencies)
        assert release.urn not in g.dependencies
        assert g.urn in release.dependencies
    dashboard = recording.named("configmap-monitoring-clusterforge-emulated-gpus-dashboard")
    assert release.urn in dashboard.dependencies


def test_the_system_group_is_untainted_and_node_exporter_stays_on_it(recording):
    import json

    system = json.loads(recording.named("nodes-system").inputs["stdin"])
    assert system["fakeTaint"] is False and system["taints"] == []
    gpu = json.loads(recording.named("nodes-a2-ultragpu-8g").inputs["stdin"])
    assert "fakeTaint" not in gpu  # default on: the spec of such groups is unchanged
    values = recording.named("kube-prometheus-stack").inputs["values"]
    assert values["prometheus-node-exporter"]["nodeSelector"] == {"clusterforge.io/node-role": "system"}
    assert "storageSpec" not in values["prometheus"]["prometheusSpec"]


def test_local_binaries_become_kwokctl_flags():
    cluster = KwokClusterConfig.model_validate({"name": "lab", "binaries": {
        "kubeApiserver": "/opt/k/kube-apiserver", "etcd": "/opt/k/etcd"}})
    flags = kwokctl.create_flags(cluster)
    assert flags[flags.index("--kube-apiserver-binary") + 1] == "/opt/k/kube-apiserver"
    assert flags[flags.index("--etcd-binary") + 1] == "/opt/k/etcd"
    assert "--kube-scheduler-binary" not in flags


@given(st.from_regex(r"/[A-Za-z0-9_./ -]{1,40}", fullmatch=True))
def test_binary_paths_survive_the_shell(path):
    cluster = KwokClusterConfig.model_validate({"name": "lab", "binaries": {"kubeScheduler": path}})
    words = shlex.split(kwokctl.create_command(cluster, "v1.36.3").split("then ", 1)[1].split(" >&2")[0])
    assert words[words.index("--kube-scheduler-binary") + 1] == path


def test_kwok_needs_its_section_and_no_pools():
    config = _config()
    del config["hosts"]["kwokCluster"]
    config["hosts"]["pools"] = [{"name": "cp", "role": "control-plane", "count": 1}]
    found = _findings(config)
    assert any(f.startswith("clusterforge:hosts.kwokCluster: hosts.kind is kwok") for f in found)
    assert any(f.startswith("clusterforge:hosts.pools: a kwok cluster has no machines") for f in found)


def test_kwok_needs_node_groups():
    config = _config()
    del config["emulation"]
    assert any(f.startswith("clusterforge:emulation.nodeGroups: hosts.kind kwok emulates every node")
               for f in _findings(config))


def test_addons_need_an_untainted_group():
    config = _config()
    config["emulation"]["nodeGroups"] = config["emulation"]["nodeGroups"][1:]
    assert any("addon pods on this kwok cluster have nowhere to land" in f for f in _findings(config))
    config["addons"] = {}
    load_stack_config(config)  # without addons nothing needs to land


def test_kwokctl_must_be_a_plain_command():
    config = _config()
    config["hosts"]["kwokCluster"]["kwokctl"] = "kwokctl; rm -rf /"
    assert any(f.startswith("clusterforge:hosts.kwokCluster.kwokctl:") for f in _findings(config))


def test_stack_file_is_plain_yaml():
    # The stack parses as Pulumi reads it: every key under the project's namespace.
    data = yaml.safe_load(open("stacks/Pulumi.emulated-kwok.yaml"))
    assert all(k.startswith("clusterforge:") for k in data["config"])
