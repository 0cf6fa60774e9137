"""Host kinds under the mock runtime: exact resources, inputs, edges and options."""
from __future__ import annotations

import pytest

from clusterforge.diff import diff_plans
from clusterforge.mockrun import run_stack
from clusterforge.render import _plan
from components.plan.hosts.aws_spec import ADMIN_PORTS, NODE_PORTS
from components.plan.hosts.proxmox_spec import IGNORE_CHANGES

VM = "proxmoxve:index/vmLegacy:VmLegacy"
INSTANCE = "aws:ec2/instance:Instance"


@pytest.fixture(scope="module")
def homelab():
    return run_stack("homelab")


def test_proxmox_templates_per_node_from_downloaded_image(homelab):
    images = {r.name: r for r in homelab.of_type("proxmoxve:download/file:File")}
    assert sorted(images) == ["image-pve1", "image-pve2", "image-pve3"]
    assert images["image-pve1"].inputs["contentType"] == "import"
    assert images["image-pve1"].inputs["url"].endswith(".qcow2")
    templates = {r.name: r for r in homelab.of_type(VM) if r.inputs.get("template")}
    assert sorted(templates) == ["template-pve1", "template-pve2", "template-pve3"]
    assert templates["template-pve2"].inputs["vmId"] == 9001
    assert images["image-pve2"].urn in templates["template-pve2"].dependencies


def test_proxmox_clone_inputs(homelab):
    vm = homelab.named("worker-3")
    i = vm.inputs
    assert (i["nodeName"], i["vmId"], i["clone"]["nodeName"], i["clone"]["vmId"]) == ("pve2", 303, "pve2", 9001)
    assert i["clone"]["full"] is True and i["clone"]["retries"] == 3
    assert (i["cpu"]["cores"], i["memory"]["dedicated"], i["disks"][0]["size"]) == (8, 32768, 100)
    assert i["initialization"]["ipConfigs"] == [{"ipv4": {"address": "192.168.10.23/24",
                                                          "gateway": "192.168.10.1"}}]
    assert i["initialization"]["userAccount"]["username"] == "debian"
    assert i["agent"] == {"enabled": True} and i["onBoot"] is True and i["started"] is True
    assert i["networkDevices"] == [{"bridge": "vmbr0", "model": "virtio"}]
    assert vm.provider == "proxmox"


def test_clone_concurrency_is_in_the_graph(homelab):
    clones = [r for r in homelab.of_type(VM) if not r.inputs.get("template")]
    order = [r.name for r in clones]
    urn = {r.name: r.urn for r in clones}
    names = ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2", "worker-3"]
    assert sorted(order) == sorted(names)
    for i, name in enumerate(names):
        deps = {d for d in homelab.named(name).dependencies if d in urn.values()}
        assert deps == ({urn[names[i - 2]]} if i >= 2 else set()), name


def test_clone_concurrency_follows_config():
    rec = run_stack("homelab", {"hosts.proxmox.cloneConcurrency": 1})
    assert any(d.endswith("::worker-1") for d in rec.named("worker-2").dependencies)
    assert any(d.endswith("::cp-1") for d in rec.named("cp-2").dependencies)


def test_ignore_changes_and_control_plane_protection(homelab):
    for vm in homelab.of_type(VM):
        assert vm.options["ignoreChanges"] == sorted(IGNORE_CHANGES)
    assert homelab.named("cp-1").options.get("protect") is True
    assert "protect" not in homelab.named("worker-1").options


def test_retired_control_plane_loses_protection():
    rec = run_stack("homelab", {"hosts.pools[0].count": 4, "hosts.retire": ["cp-4"],
                                "hosts.overrides": {}})
    assert "protect" not in rec.named("cp-4").options
    assert rec.named("cp-3").options.get("protect") is True


def test_api_token_reaches_the_provider_as_a_secret(homelab):
    [provider] = homelab.of_type("pulumi:providers:proxmoxve")
    assert provider.inputs["apiToken"] == "[secret]"


def test_adding_a_worker_changes_only_that_worker(homelab):
    more = run_stack("homelab", {"hosts.pools[1].count": 4})
    diff = diff_plans(_plan(homelab), _plan(more))
    host_changes = [c for c in diff.added + diff.changed + diff.removed if c.type.startswith("proxmoxve:")]
    assert [(c.name, c in diff.added) for c in host_changes] == [("worker-4", True)]


def test_aws_network_security_group_and_instances():
    rec = run_stack("cloud")
    [group] = rec.of_type("aws:ec2/securityGroup:SecurityGroup")
    ingress = group.inputs["ingress"]
    node_rules = {(r["protocol"], r["fromPort"], r["toPort"]) for r in ingress if r.get("self")}
    assert node_rules == {(p.protocol, p.from_port, p.to_port) for p in NODE_PORTS}
    admin = [r for r in ingress if r.get("cidrBlocks")]
    assert {(r["fromPort"], tuple(r["cidrBlocks"])) for r in admin} == {
        (p.from_port, ("203.0.113.0/24",)) for p in ADMIN_PORTS}
    instances = {r.name: r for r in rec.of_type(INSTANCE)}
    assert sorted(instances) == ["cp-1", "gpu-1", "worker-1", "worker-2", "worker-3"]
    assert instances["gpu-1"].inputs["instanceType"] == "g6.xlarge"
    assert instances["cp-1"].inputs["metadataOptions"]["httpTokens"] == "required"
    assert instances["cp-1"].inputs["rootBlockDevice"] == {"encrypted": True, "volumeSize": 60, "volumeType": "gp3"}
    assert instances["cp-1"].options.get("protect") is True
    [subnet] = rec.of_type("aws:ec2/subnet:Subnet")
    assert subnet.urn in instances["worker-1"].dependencies
    [key] = rec.of_type("aws:ec2/keyPair:KeyPair")
    assert key.inputs["publicKey"].startswith("ssh-ed25519 ")


def test_existing_machines_declare_no_machine_resources():
    rec = run_stack("onprem")
    assert not [r for r in rec.resources if r.type.startswith(("proxmoxve:", "aws:"))]


def test_the_shipped_homelab_verifies_the_proxmox_certificate_and_turning_it_off_is_said():
    from clusterforge.mockrun import run_stack

    [provider] = run_stack("homelab").of_type("pulumi:providers:proxmoxve")
    assert provider.inputs["insecure"] == "false"   # provider inputs travel as strings
    insecure = run_stack("homelab", {"hosts.proxmox.insecure": True})
    assert any("hosts.proxmox.insecure is true" in m for level, m in insecure.logs if level == "warning")
