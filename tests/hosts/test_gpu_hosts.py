"""Hosts with GPUs carry the label the NVIDIA device plugin selects, and form the inventory
group whose hosts get the NVIDIA driver and container toolkit."""
from __future__ import annotations

import pytest

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack, stack_names
from components.plan.addons.catalog import enabled_core_addons
from components.plan.hosts.expand import host_specs
from components.plan.hosts.spec import GPU_PRESENT_LABEL
from components.plan.provisioning.phases import phase_inputs


def _config(stack, **overrides):
    return prepare_offline(apply_overrides(read_stack(stack), overrides))[0]


@pytest.mark.parametrize("stack", [s for s in stack_names() if s != "emulated"])
def test_the_device_plugin_selects_every_gpu_host_and_no_other(stack):
    cfg = _config(stack, **{"addons.nvidiaDevicePlugin.enabled": True})
    selector = enabled_core_addons(cfg)["nvidiaDevicePlugin"].values["nodeSelector"]
    for host in host_specs(cfg):
        selected = all(host.labels.get(k) == v for k, v in selector.items())
        assert selected is bool(host.gpus), host.name


def test_a_cloud_gpu_host_without_labels_gets_the_label_on_its_kubelet_and_in_the_gpu_group():
    cfg = _config("cloud")
    [gpu] = [h for h in host_specs(cfg) if h.gpus]
    assert gpu.labels == {GPU_PRESENT_LABEL: "true"}
    inventory, variables = phase_inputs(cfg, host_specs(cfg))
    assert list(inventory["all"]["children"]["nvidia_gpu"]["hosts"]) == [gpu.name]
    [join] = variables["kubeadm_documents"][gpu.name]
    node_labels = {a["name"]: a["value"] for a in join["nodeRegistration"]["kubeletExtraArgs"]}["node-labels"]
    assert f"{GPU_PRESENT_LABEL}=true" in node_labels.split(",")


def test_an_explicit_label_wins_and_a_host_without_gpus_gets_none():
    cfg = _config("onprem", **{"hosts.pools[2].labels": {GPU_PRESENT_LABEL: "false"}})
    assert {h.name: h.labels.get(GPU_PRESENT_LABEL) for h in host_specs(cfg) if h.name.startswith("gpu")} == {
        "gpu-1": "false", "gpu-2": "false"}
    assert all(GPU_PRESENT_LABEL not in h.labels for h in host_specs(cfg) if not h.gpus)
