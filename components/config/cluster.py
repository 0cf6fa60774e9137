"""The `cluster` section: identity of the cluster the stack builds.

Who consumes each field (and what it accepts):
- `name`: kubeadm's `clusterName` (ClusterConfiguration), the kubeconfig's cluster and
  context names, kwokctl's `--name`, Pulumi resource names (URNs: never renamed in place),
  AWS tags (`Name` = `<cluster>-<host>`, the key `kubernetes.io/cluster/<cluster>`: at most
  128 characters) and Proxmox tags and template names (`<cluster>-template-<node>`). A
  DNS-1123 label (k8s_names.DnsLabel), which every one of them accepts.
- `description`: for people reading the stack file; no system reads it.
- `protect`: the Pulumi engine's `protect` option on the control-plane machines and the
  reset-on-destroy command (a boolean; cross-checked by nothing else).
"""
from __future__ import annotations

from components.config.base import DnsLabel, StrictModel


class ClusterSection(StrictModel):
    name: DnsLabel
    description: str = ""
    # Protects the etcd members' machines and the reset-on-destroy command against deletion
    # and replacement; `pulumi destroy` needs it set false (and applied with `pulumi up`) first.
    protect: bool = True
