"""The `tenants` section: per-user namespaces with quotas (declared here; built later)."""
from __future__ import annotations

from pydantic import Field

from .base import DnsLabel, StrictModel
from .k8s_values import Quantity


class TenantQuota(StrictModel):
    cpu: Quantity = "8"
    memory: Quantity = "32Gi"
    gpus: int = Field(0, ge=0)
    pods: int = Field(100, ge=1)


class Tenant(StrictModel):
    name: DnsLabel
    quota: TenantQuota = TenantQuota()
