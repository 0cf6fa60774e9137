"""The prepare playbook on test hosts: a host with GPUs gets the NVIDIA driver and container
toolkit at their pinned versions and containerd with NVIDIA's runtime by default; a containerd
the Kubernetes minor does not support is refused. The NVIDIA packages are TEST DOUBLES in the
testbed's mirror (no GPU here); containerd is Debian's real 1.6.20."""
from __future__ import annotations

import dataclasses
import os

import pytest

from components.plan.provisioning.inventory import build_inventory
from components.provisioning.runner import run_playbook
from tests.testbed.inventory import testbed_host_specs, testbed_vars

DRIVER, TOOLKIT = "570.172.08", "1.17.8"
TOOLKIT_PACKAGES = ("nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools",
                    "libnvidia-container1")


def _fake(name: str) -> dict[str, str]:
    return {f"/usr/bin/{name}": f"#!/bin/sh\n# TEST DOUBLE of {name}\necho '{name} (clusterforge test double)'\n"}


@pytest.fixture(scope="module")
def bed(testbed_factory):
    bed = testbed_factory(2, names=["cp-1", "gpu-1"])
    repo = bed.repo
    repo.add_package(f"linux-headers-{os.uname().release}", "1.0-1", {"/usr/src/clusterforge-test-double": "headers\n"})
    # The pinned versions, and newer ones the pins must keep away.
    for version in (DRIVER, "580.95.05"):
        repo.add_package("nvidia-open", f"{version}-1", _fake("nvidia-smi"), description="TEST DOUBLE of the driver")
    for version in (TOOLKIT, "1.18.0"):
        for package in TOOLKIT_PACKAGES:
            files = _fake("nvidia-container-runtime") if package == "nvidia-container-toolkit" else \
                {f"/usr/share/doc/{package}/test-double": "x\n"}
            repo.add_package(package, f"{version}-1", files, description="TEST DOUBLE of the toolkit")
    repo.index()
    return bed


@pytest.fixture(scope="module")
def inventory(bed):
    specs = [dataclasses.replace(s, gpus=1 if s.name == "gpu-1" else 0)
             for s in testbed_host_specs(bed, {"cp-1": "control-plane", "gpu-1": "worker"})]
    return build_inventory(specs, testbed_vars(bed))


@pytest.fixture(scope="module")
def first_run(bed, inventory):
    return run_playbook("prepare", inventory, ssh_key=bed.private_key, progress=None)


def _installed(host, *packages) -> dict[str, str]:
    out = host.run("dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *packages, check=False).stdout
    return dict(line.split() for line in out.splitlines() if len(line.split()) == 2)


def test_the_gpu_host_gets_the_pinned_driver_and_toolkit_and_nvidia_runtime(bed, first_run):
    assert first_run.ok, [str(f) for f in first_run.failures]
    gpu, cp = bed.host("gpu-1"), bed.host("cp-1")
    assert _installed(gpu, "nvidia-open", *TOOLKIT_PACKAGES) == {
        "nvidia-open": f"{DRIVER}-1", **{p: f"{TOOLKIT}-1" for p in TOOLKIT_PACKAGES}}
    assert _installed(gpu, f"linux-headers-{os.uname().release}")
    assert "Pin: version 570.172.08-*" in (gpu.root / "etc/apt/preferences.d/clusterforge-nvidia.pref").read_text()
    config = (gpu.root / "etc/containerd/config.toml").read_text()
    assert 'default_runtime_name = "nvidia"' in config and 'BinaryName = "/usr/bin/nvidia-container-runtime"' in config
    # Air-gapped: the packages came from the mirror, no NVIDIA repository was declared.
    assert not (gpu.root / "etc/apt/sources.list.d/clusterforge-nvidia.sources").exists()
    assert _installed(cp, "nvidia-open", *TOOLKIT_PACKAGES) == {}
    assert "nvidia" not in (cp.root / "etc/containerd/config.toml").read_text()


def test_a_second_run_changes_nothing(bed, inventory, first_run):
    assert first_run.ok
    second = run_playbook("prepare", inventory, ssh_key=bed.private_key, progress=None)
    assert second.ok and {h: c["changed"] for h, c in second.hosts.items()} == {"cp-1": 0, "gpu-1": 0}


def test_a_containerd_the_kubernetes_minor_does_not_support_is_refused(bed, inventory, first_run):
    assert first_run.ok
    vars_136 = {"containerd_minimum_versions": ["2.3.0", "2.2.0"], "kubernetes_minor": "1.36"}
    refused = run_playbook("prepare", inventory, vars_136, ssh_key=bed.private_key, progress=None)
    assert not refused.ok
    assert sorted(f.host for f in refused.failures) == ["cp-1", "gpu-1"]
    assert {f.message for f in refused.failures} == {
        "containerd 1.6.20 is not supported by Kubernetes 1.36, which needs containerd 2.3.0+, 2.2.0+ "
        "(fix: provisioning.containerdSource upstream, or a supported containerd in the mirror)"}
    vars_old = {"containerd_minimum_versions": ["1.7.24", "1.6.20"], "kubernetes_minor": "1.33"}
    accepted = run_playbook("prepare", inventory, vars_old, ssh_key=bed.private_key, progress=None)
    assert accepted.ok, [str(f) for f in accepted.failures]
