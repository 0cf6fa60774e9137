"""The `hosts` section: where the machines come from and how many of each role.

Machines are declared in pools (a role, a count or an address list, a size); per-host
overrides adjust single machines. Every host kind ends in the same `HostSpec` shape
(see components/plan/hosts/expand.py).

Who consumes each field (rules: here, formats.py, plan/rules/core.py, network.py,
address_plan.py, limits.py, capacity.py, proxmox.py, host_kinds.py, algorithms.py):
- `kind`: which provider declares the machines (proxmoxve, aws, none, kind, kwokctl).
- `network.cidr|gateway|dns|searchDomain`: cloud-init's network config on Proxmox (static
  addresses; resolv.conf, whose servers the kubelet hands to CoreDNS), the AWS subnet
  (/16-/28 inside the VPC), and every address plan rule (no host, gateway or DNS server on a
  network or broadcast address or inside the cluster's ranges); `bridge` and `vlan` Proxmox's
  `net0` (an interface name; 802.1Q tag 1-4094).
- `ssh.user`: cloud-init's default user and Ansible's `ansible_user` (a Linux user name);
  `ssh.publicKeys`: cloud-init's authorized_keys and the AWS key pair, read by the images'
  OpenSSH (parsed as OpenSSH keys; no DSA, no RSA under 2048 bits); `ssh.privateKeySecret`:
  the secret config key Ansible's key comes from.
- `pools[].name`: host names `<name>-<n>` (hostname, Node name, certificates: at most 63
  characters composed); `role`: kubeadm init/join as control plane or worker (etcd stacked:
  1, 3 or 5 members); `count|firstAddress|addresses`: the hosts and their static addresses;
  `size.cores|memoryMb|diskGb`: Proxmox's VM (kubeadm preflight: a control plane needs 2 CPUs
  and 1700 MB) or the AWS root volume (gp3, at most 16384 GiB); `gpus`: the NVIDIA driver role
  and the `nvidia.com/gpu.present` label; `labels|taints`: the kubelet's registration and
  node-config (API server's label and taint syntax); `placement|vmIdBase`: Proxmox nodes and VM
  IDs (100-999999999, for every ID of the block); `instanceType`: EC2.
- `overrides.<host>.*`: the same, per host; the host must exist.
- `retire[]`: remove-node (drain, delete, etcd member removal, reset); must leave an odd etcd.
- `proxmox.*`: the proxmoxve provider (https endpoint, `user@realm!id=uuid` token), clone and
  download of the template (dated image URL, sha256/sha512 checksum), VM ID blocks.
- `aws.*`: the aws provider and EC2 (region and AMI formats, subnet or VPC, security group
  sources as canonical CIDRs, instance types, root volume size).
- `kindCluster.*` (kind_cluster.py) and `kwokCluster.*` (kwok_cluster.py).
"""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from pydantic import Field, model_validator

from components.config.base import DnsLabel, StrictModel
from components.config.formats import (AwsAmi, AwsImageName, AwsImageOwner, AwsInstanceType, AwsRegion, AwsSubnet, ConfigKeyName,
                                       InterfaceName, LinuxUser, ProxmoxNode, ProxmoxStorage)
from components.config.k8s_names import DnsSubdomain, LabelKey, Labels, LabelValue, invalid
from components.config.kind_cluster import KindClusterConfig
from components.config.kwok_cluster import KwokClusterConfig
from components.config.secrets import SshPublicKey

# `etcd` is parsed so that it gets its own finding (external etcd is not built), not a bare
# "unknown value".
Role = Literal["control-plane", "worker", "etcd"]


class Size(StrictModel):
    cores: int = Field(2, ge=1, le=512)
    memory_mb: int = Field(4096, ge=1024)
    disk_gb: int = Field(32, ge=8)


class SizeOverride(StrictModel):
    cores: int | None = Field(None, ge=1, le=512)
    memory_mb: int | None = Field(None, ge=1024)
    disk_gb: int | None = Field(None, ge=8)


class TaintConfig(StrictModel):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class Pool(StrictModel):
    """Machines of one role and size, named `{name}-{index}` from 1."""

    name: DnsLabel
    role: Role
    # Either a count (with `firstAddress` for static addressing) or explicit addresses.
    count: int | None = Field(None, ge=0, le=1000)
    first_address: IPv4Address | None = None
    addresses: list[IPv4Address] | None = None
    size: Size = Size()
    gpus: int = Field(0, ge=0, le=16)
    labels: Labels = {}
    taints: list[TaintConfig] = []
    # Proxmox nodes the pool's VMs are spread over (round-robin); default: all nodes.
    placement: list[ProxmoxNode] = []
    # First Proxmox VM ID of the pool's block (hosts.proxmox.vmIdsPerPool IDs); default:
    # hosts.proxmox.vmIdStart + the pool's position times the block size.
    vm_id_base: int | None = Field(None, ge=100, le=999_999_999)
    # Public cloud instance type for this pool (AWS), e.g. m7i.xlarge or g6.xlarge.
    instance_type: AwsInstanceType | None = None

    @model_validator(mode="after")
    def _addresses_exist(self) -> "Pool":
        # firstAddress + count must stay inside IPv4, or the addresses cannot even be computed.
        if self.first_address is not None and self.count and int(self.first_address) + self.count - 1 > 2**32 - 1:
            raise invalid(f"{self.count} addresses from {self.first_address} run past 255.255.255.255",
                          "lower count or start lower")
        return self


class HostOverride(StrictModel):
    """Per-host adjustments, keyed by host name (`worker-3`)."""

    size: SizeOverride = SizeOverride()
    address: IPv4Address | None = None
    placement: ProxmoxNode | None = None
    vm_id: int | None = Field(None, ge=100, le=999_999_999)
    gpus: int | None = Field(None, ge=0, le=16)
    labels: Labels = {}
    instance_type: AwsInstanceType | None = None


class NetworkConfig(StrictModel):
    cidr: IPv4Network
    gateway: IPv4Address | None = None
    dns: list[IPv4Address] = []
    search_domain: DnsSubdomain | None = None
    bridge: InterfaceName = "vmbr0"
    vlan: int | None = Field(None, ge=1, le=4094)


class SshConfig(StrictModel):
    user: LinuxUser = "debian"
    public_keys: list[SshPublicKey] = []
    # Name of the secret config key that holds the private key Ansible uses
    # (`pulumi config set --secret clusterforge:sshPrivateKey < key`).
    private_key_secret: ConfigKeyName = "sshPrivateKey"


class ProxmoxTemplate(StrictModel):
    """The cloud-init template VM hosts are cloned from, one per Proxmox node.

    Clones of a template on local storage can only land on its own node, so each node in
    `proxmox.nodes` gets its template: VM ID `vmId + position of the node`.
    """

    vm_id: int = Field(9000, ge=100, le=999_999_999)
    # A dated image URL (not .../latest/...) so a rebuild gets the same image.
    image_url: str
    # Verified by Proxmox after download when given; the render notes when it is not.
    image_checksum: str | None = None
    checksum_algorithm: Literal["sha256", "sha512"] = "sha512"
    image_datastore: ProxmoxStorage = "local"


class ProxmoxConfig(StrictModel):
    endpoint: str
    insecure: bool = False
    # Name of the secret config key holding the API token (`user@realm!id=uuid`).
    api_token_secret: ConfigKeyName = "proxmoxApiToken"
    nodes: list[ProxmoxNode] = Field(min_length=1)
    datastore: ProxmoxStorage = "local-lvm"
    template: ProxmoxTemplate
    # Each pool owns a block of VM IDs, so growing one pool never moves another's IDs (a
    # changed vmId replaces the VM): pool i starts at vmIdStart + i * vmIdsPerPool.
    vm_id_start: int = Field(200, ge=100, le=999_999_999)
    vm_ids_per_pool: int = Field(100, ge=1, le=100_000)
    # Refuse a placement where losing one Proxmox node loses etcd quorum; false accepts
    # it (the program then warns on every run).
    require_quorum_on_node_loss: bool = True
    # Parallel clones of one template hit storage-lock timeouts; clone this many at once.
    clone_concurrency: int = Field(2, ge=1, le=16)
    clone_retries: int = Field(3, ge=0, le=10)


class AwsImage(StrictModel):
    """A machine image found by its publisher's account and its name, resolved at preview
    (DescribeImages; the newest match when the name has wildcards): a name one can check
    against the publisher's list, where an AMI ID is opaque and differs per region."""

    owner: AwsImageOwner
    name: AwsImageName
    architecture: Literal["x86_64", "arm64"] = "x86_64"


class AwsConfig(StrictModel):
    region: AwsRegion
    # Exactly one: the image by owner and name (resolved at preview), or a fixed AMI ID.
    image: AwsImage | None = None
    ami: AwsAmi | None = None
    # Use an existing subnet, or let the stack create a VPC with this CIDR.
    subnet_id: AwsSubnet | None = None
    vpc_cidr: IPv4Network | None = None
    ssh_sources: list[IPv4Network] = Field(min_length=1)
    instance_type: AwsInstanceType = "m7i.large"
    root_volume_gb: int = Field(50, ge=20)

    @model_validator(mode="after")
    def _one_image(self) -> "AwsConfig":
        if (self.image is None) == (self.ami is None):
            raise ValueError("give the machine image once: `image` (owner and name, e.g. owner 136693071363 and "
                             "name debian-13-amd64-20251117-2299, Debian's) or `ami` (an ID), not "
                             + ("both" if self.image else "neither"))
        return self


class HostsConfig(StrictModel):
    kind: Literal["proxmox", "aws", "existing", "kind", "kwok"]
    network: NetworkConfig | None = None
    ssh: SshConfig = SshConfig()
    pools: list[Pool] = []
    overrides: dict[str, HostOverride] = {}
    # Hosts being removed on purpose: the remove-node phase drains them, deletes their Node,
    # drops their etcd member and resets them. Control-plane machines are protected against
    # deletion; listing one here lifts that, so dropping it from a pool is never silent.
    retire: list[str] = []
    proxmox: ProxmoxConfig | None = None
    aws: AwsConfig | None = None
    kind_cluster: KindClusterConfig | None = None
    kwok_cluster: KwokClusterConfig | None = None
