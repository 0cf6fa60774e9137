"""The `cluster` section: identity of the cluster the stack builds."""
from __future__ import annotations

from components.config.base import DnsLabel, StrictModel


class ClusterSection(StrictModel):
    name: DnsLabel
    description: str = ""
    # Protects the etcd members' machines and the reset-on-destroy command against deletion
    # and replacement; `pulumi destroy` needs it set false (and applied with `pulumi up`) first.
    protect: bool = True
