"""The `cluster` section: identity of the cluster the stack builds."""
from __future__ import annotations

from .base import DnsLabel, StrictModel


class ClusterSection(StrictModel):
    name: DnsLabel
    description: str = ""
