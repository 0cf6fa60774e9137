"""Proxmox VM specs from the stack config (pure): templates, clones and their order.

The returned mappings are the keyword arguments of pulumi-proxmoxve 8.x resources
(`download.File`, `VmLegacy`), nested inputs as plain dicts, so the whole shape is
testable without the provider.
"""
from __future__ import annotations

from posixpath import basename
from typing import Any
from urllib.parse import urlparse

from components.config.hosts import ProxmoxConfig
from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan

# Fields the provider reports as changed on every refresh of a cloned VM (the clone
# block itself, disk details it fills in, the cloud-init drive's cdrom, the MAC it
# assigns): ignoring them keeps an unchanged stack previewing as no change.
IGNORE_CHANGES = (
    "cdrom",
    "clone",
    "disks[0].fileFormat",
    "disks[0].pathInDatastore",
    "disks[0].speed",
    "initialization.upgrade",
    "macAddresses",
    "networkDevices[0].macAddress",
)

# A clone that waits on a storage lock held by a parallel clone fails after this long.
CLONE_TIMEOUT_S = 1800


def vm_tags(*tags: str) -> list[str]:
    """Tags as Proxmox stores them (sorted, each once), so a refresh reads back what was sent."""
    return sorted(set(tags))


def template_id(px: ProxmoxConfig, node: str) -> int:
    return px.template.vm_id + px.nodes.index(node)


def image_file_name(px: ProxmoxConfig) -> str:
    return basename(urlparse(px.template.image_url).path)


def image_args(cfg: StackConfig, node: str) -> dict[str, Any]:
    """The cloud image, downloaded to `node` for disk import."""
    px = cfg.hosts.proxmox
    args: dict[str, Any] = {
        "node_name": node,
        "datastore_id": px.template.image_datastore,
        "content_type": "import",  # PVE 8.4+: qcow2 images import as VM disks
        "url": px.template.image_url,
        "file_name": image_file_name(px),
        "overwrite": False,  # a pinned image never changes under us
    }
    if px.template.image_checksum:
        args["checksum"] = px.template.image_checksum
        args["checksum_algorithm"] = px.template.checksum_algorithm
    return args


def _network_device(cfg: StackConfig) -> dict[str, Any]:
    net = cfg.hosts.network
    device: dict[str, Any] = {"bridge": net.bridge, "model": "virtio"}
    if net.vlan is not None:
        device["vlan_id"] = net.vlan
    return device


def template_args(cfg: StackConfig, node: str) -> dict[str, Any]:
    """The template VM on `node`; its disk is imported from the downloaded image."""
    px = cfg.hosts.proxmox
    return {
        "node_name": node,
        "vm_id": template_id(px, node),
        "name": f"{cfg.cluster.name}-template-{node}",
        "description": "cloud-init template managed by clusterforge",
        "template": True,
        "started": False,
        "on_boot": False,
        "agent": {"enabled": True},
        "bios": "seabios",
        "machine": "q35",
        "operating_system": {"type": "l26"},
        "scsi_hardware": "virtio-scsi-single",
        "cpu": {"cores": 2, "type": "x86-64-v2-AES"},
        "memory": {"dedicated": 2048},
        "disks": [{"interface": "scsi0", "datastore_id": px.datastore, "size": 8,
                   "discard": "on", "iothread": True, "ssd": True}],
        "network_devices": [_network_device(cfg)],
        "serial_devices": [{"device": "socket"}],  # cloud images log to the serial console
        "initialization": {"datastore_id": px.datastore},
        "tags": vm_tags("clusterforge", cfg.cluster.name, "template"),
    }


def clone_args(cfg: StackConfig, plan: HostPlan) -> dict[str, Any]:
    """A host VM: a full clone of its node's template, sized and addressed from config."""
    px = cfg.hosts.proxmox
    net = cfg.hosts.network
    node = plan.placement
    ipv4: dict[str, Any] = {"address": f"{plan.address}/{net.cidr.prefixlen}"}
    if net.gateway is not None:
        ipv4["gateway"] = str(net.gateway)
    initialization: dict[str, Any] = {
        "datastore_id": px.datastore,
        "ip_configs": [{"ipv4": ipv4}],
        "user_account": {"username": cfg.hosts.ssh.user, "keys": list(cfg.hosts.ssh.public_keys)},
    }
    if net.dns or net.search_domain:
        dns: dict[str, Any] = {"servers": [str(s) for s in net.dns]}
        if net.search_domain:
            dns["domain"] = net.search_domain
        initialization["dns"] = dns
    return {
        "node_name": node,
        "vm_id": plan.vm_id,
        "name": plan.spec.name,
        "description": f"{plan.spec.role} of cluster {cfg.cluster.name}, managed by clusterforge",
        "clone": {"vm_id": template_id(px, node), "node_name": node, "full": True,
                  "datastore_id": px.datastore, "retries": px.clone_retries},
        "timeout_clone": CLONE_TIMEOUT_S,
        "started": True,
        "on_boot": True,
        "stop_on_destroy": True,
        "agent": {"enabled": True},
        "cpu": {"cores": plan.size.cores, "type": "x86-64-v2-AES"},
        "memory": {"dedicated": plan.size.memory_mb},
        "disks": [{"interface": "scsi0", "datastore_id": px.datastore, "size": plan.size.disk_gb,
                   "discard": "on", "iothread": True, "ssd": True}],
        "network_devices": [_network_device(cfg)],
        "initialization": initialization,
        "tags": vm_tags("clusterforge", cfg.cluster.name, plan.spec.role),
    }


def clone_predecessors(plans: list[HostPlan], concurrency: int) -> dict[str, str | None]:
    """host -> the host whose clone must finish first, so at most `concurrency` run at once.

    Hosts form `concurrency` chains in declaration order: host i waits for host i-N.
    """
    return {plan.spec.name: plans[i - concurrency].spec.name if i >= concurrency else None
            for i, plan in enumerate(plans)}


def template_nodes(cfg: StackConfig, plans: list[HostPlan]) -> list[str]:
    """Proxmox nodes that need a template: those hosts are placed on, in config order."""
    used = {plan.placement for plan in plans}
    return [node for node in cfg.hosts.proxmox.nodes if node in used]
