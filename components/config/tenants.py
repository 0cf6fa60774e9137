"""The `tenants` section: one namespace, account, quota and limit range per user or group.

Rules that span tenants (duplicate names, namespaces other parts of the stack own, a
quota too small for the limit range's defaults) are in components/plan/rules/tenants.py.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config.base import DnsLabel, StrictModel
from components.config.k8s_values import Quantity


class TenantQuota(StrictModel):
    """The ResourceQuota's hard limits: requests and limits of CPU and memory, GPUs, storage."""

    cpu: Quantity = "8"
    memory: Quantity = "32Gi"
    gpus: int = Field(0, ge=0)
    pods: int = Field(100, ge=1)
    persistent_volume_claims: int = Field(10, ge=0)
    storage: Quantity = "100Gi"


class TenantLimits(StrictModel):
    """The LimitRange's per-container defaults (pods that name no resources get these)."""

    default_cpu_request: Quantity = "100m"
    default_memory_request: Quantity = "256Mi"
    default_cpu_limit: Quantity = "1"
    default_memory_limit: Quantity = "1Gi"


class Tenant(StrictModel):
    name: DnsLabel
    quota: TenantQuota = TenantQuota()
    limits: TenantLimits = TenantLimits()
    # Pod Security Standards level the namespace enforces.
    pod_security: Literal["privileged", "baseline", "restricted"] = "baseline"
    # Removing the tenant keeps its namespace (and what runs and is stored there).
    retain_namespace: bool = True


