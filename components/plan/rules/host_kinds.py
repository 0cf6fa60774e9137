"""What each host kind needs from the config, and what it would silently ignore.

Every host kind's code path reads certain parts (AWS: the key pair takes the first public
key, the subnet takes hosts.network; Proxmox: cloud-init installs the public keys), so
their absence is a finding here, not an IndexError or AttributeError later. Fields that a
kind never reads (a Proxmox placement on AWS, an instance type on Proxmox) are reported
too: a value the program drops is a mistake the user cannot see.
"""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.k8s_names import taints_errors

# Fields each host kind reads; set on another kind they would be dropped.
_ONLY_FOR = {"placement": "proxmox", "vm_id": "proxmox", "vm_id_base": "proxmox", "instance_type": "aws"}
# hosts.network fields that only Proxmox's cloud-init uses.
_PROXMOX_NETWORK = {"dns": "dns", "search_domain": "searchDomain", "bridge": "bridge", "vlan": "vlan"}
_ALIAS = {"vm_id": "vmId", "vm_id_base": "vmIdBase", "instance_type": "instanceType"}
# Host kinds that bring their own control plane and have no machines: kind (containers),
# kwok (kwokctl's local processes).
_NO_MACHINES = {"kind": "a kind cluster", "kwok": "a kwok cluster"}


def host_kind_findings(cfg) -> list[Finding]:
    rules = (_needed_parts, _ignored_fields, _taints)
    return [f for rule in rules for f in rule(cfg)]


def _needed_parts(cfg) -> Iterator[Finding]:
    h = cfg.hosts
    if h.kind in ("aws", "proxmox") and not h.ssh.public_keys and any((p.count or 0) > 0 for p in h.pools):
        where = "the EC2 key pair" if h.kind == "aws" else "cloud-init"
        yield Finding("hosts.ssh.publicKeys", f"{where} needs a public key to let Ansible in, and none is listed",
                      "add the .pub line of the key stored in the SSH private key secret")
    if h.kind == "aws" and h.aws is not None and h.aws.subnet_id is None:
        if h.aws.vpc_cidr is None:
            yield Finding("hosts.aws.vpcCidr", "without subnetId the stack creates a VPC, and needs its CIDR",
                          "set vpcCidr (e.g. 10.60.0.0/16), or subnetId to use an existing subnet")
        if h.network is None:
            yield Finding("hosts.network", "without subnetId the stack creates the node subnet from hosts.network",
                          "add hosts.network with the subnet's cidr, inside vpcCidr")
    if h.kind == "aws" and h.aws is not None and h.aws.subnet_id is not None and h.aws.vpc_cidr is not None:
        yield Finding("hosts.aws.vpcCidr", "vpcCidr is ignored when subnetId names an existing subnet",
                      "remove vpcCidr, or subnetId to create a VPC")


def _ignored_fields(cfg) -> Iterator[Finding]:
    h = cfg.hosts
    for i, pool in enumerate(h.pools):
        for field, kind in _ONLY_FOR.items():
            if field in pool.model_fields_set and h.kind != kind and getattr(pool, field, None) not in (None, []):
                yield Finding(join_path("hosts", "pools", i, _ALIAS.get(field, field)),
                              f"only hosts of kind {kind} use this; hosts.kind {h.kind} would ignore it",
                              "remove it")
    for name, override in sorted(h.overrides.items()):
        for field, kind in _ONLY_FOR.items():
            if getattr(override, field, None) is not None and h.kind != kind:
                yield Finding(join_path("hosts", "overrides", name, _ALIAS.get(field, field)),
                              f"only hosts of kind {kind} use this; hosts.kind {h.kind} would ignore it",
                              "remove it")
    if h.network is not None and h.kind != "proxmox":
        for field, key in _PROXMOX_NETWORK.items():
            if field in h.network.model_fields_set:
                yield Finding(f"hosts.network.{key}", f"only Proxmox VMs (cloud-init) use this; hosts.kind {h.kind} "
                                                      "would ignore it", "remove it")
    if h.kind in _NO_MACHINES:
        what = _NO_MACHINES[h.kind]
        for key, present in (("network", h.network is not None), ("retire", bool(h.retire)),
                             ("ssh", "ssh" in h.model_fields_set)):
            if present:
                yield Finding(f"hosts.{key}", f"{what} has no machines of its own; this would be ignored",
                              "remove it")
        if "provisioning" in cfg.model_fields_set:
            yield Finding("provisioning", f"{what} is not provisioned with kubeadm; this would be ignored",
                          "remove the provisioning section")
    if h.kind == "kwok" and cfg.emulation is not None:
        # kwokctl runs the KWOK controller itself (its own release, as a process): the
        # in-cluster controller's image and namespace are never used.
        for field, key in (("image", "image"), ("namespace", "namespace")):
            if field in cfg.emulation.kwok.model_fields_set:
                yield Finding(f"emulation.kwok.{key}", "on hosts.kind kwok, kwokctl runs the KWOK controller "
                                                       "itself; this would be ignored", "remove it")


def _taints(cfg) -> Iterator[Finding]:
    for i, pool in enumerate(cfg.hosts.pools):
        for t_index, field, message in taints_errors(pool.taints):
            if "unique" in message:  # the per-field syntax is checked by the model already
                yield Finding(join_path("hosts", "pools", i, "taints", t_index, field), message,
                              "keep one taint per key and effect")
