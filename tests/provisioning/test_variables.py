"""Layer 1: the stack config gives the prepare roles every input they read, in the shape they read."""
from __future__ import annotations

import pytest

from clusterforge.stackfile import read_stack
from components.plan.load import load_stack_config
from components.plan.provisioning.variables import playbook_vars

# What playbooks/roles/{package_sources,swap,node_packages,kernel,timesync,containerd} read from the inventory.
ROLE_INPUTS = {"kubernetes_version", "kubernetes_minor", "provisioning_air_gapped", "provisioning_containerd_source",
               "provisioning_registry_mirrors", "provisioning_time_servers"}


def _config(stack: str, provisioning: dict | None = None):
    values = {k.split(":", 1)[1]: v for k, v in read_stack(stack).values.items() if k.startswith("clusterforge:")}
    if provisioning is not None:
        values["provisioning"] = provisioning
    return load_stack_config(values)


@pytest.mark.parametrize("stack", ["homelab", "onprem", "cloud"])
def test_every_role_input_is_in_the_inventory_vars(stack):
    variables = playbook_vars(_config(stack))
    assert ROLE_INPUTS <= set(variables)
    assert variables["kubernetes_version"].count(".") == 2
    assert variables["kubernetes_version"].startswith(variables["kubernetes_minor"] + ".")


def test_air_gapped_mirror_reaches_the_roles_in_snake_case():
    variables = playbook_vars(_config("onprem", {
        "airGapped": {"apt": {"uri": "http://mirror.dc1/k8s", "signedBy": "https://mirror.dc1/key.asc"},
                      "imageRepository": "registry.dc1:5000/k8s"},
        "timeServers": ["ntp1.dc1"], "registryMirrors": {"docker.io": ["https://registry.dc1:5000"]}}))
    assert variables["provisioning_air_gapped"] == {
        "apt": {"uri": "http://mirror.dc1/k8s", "suite": "./", "components": [],
                "signed_by": "https://mirror.dc1/key.asc", "trusted": False},
        "image_repository": "registry.dc1:5000/k8s"}
    assert variables["provisioning_time_servers"] == ["ntp1.dc1"]
    assert variables["provisioning_registry_mirrors"] == {"docker.io": ["https://registry.dc1:5000"]}


def test_defaults_need_no_section():
    variables = playbook_vars(_config("onprem", {}))
    assert variables["provisioning_air_gapped"] is None
    assert variables["provisioning_containerd_source"] == "upstream"   # Debian's containerd is 1.x
    assert variables["provisioning_upgrade_batch_size"] == 1


def test_an_air_gapped_stack_takes_the_mirrors_containerd_unless_told_otherwise():
    mirror = {"apt": {"uri": "http://mirror.dc1/k8s", "trusted": True}}
    assert playbook_vars(_config("onprem", {"airGapped": mirror}))["provisioning_containerd_source"] == "distro"


def test_the_roles_get_the_containerd_minimums_of_the_kubernetes_minor():
    assert playbook_vars(_config("onprem"))["containerd_minimum_versions"] == ["2.3.0", "2.2.0"]
