"""The `tenants` section: one namespace, account, quota and limit range per user or group.

Who consumes each field:
- `name`: the Namespace (a DNS-1123 label, never `default`/`kube-*` or an addon's namespace:
  plan/rules/tenants.py), the tenant's ServiceAccount, RoleBindings and kubeconfig context.
- `quota.*`: the ResourceQuota's `hard` (quantities as the API server parses them); it must
  admit the LimitRange's defaults (plan/rules/tenants.py).
- `limits.default*`: the LimitRange's `default`/`defaultRequest` (request <= limit, as the
  API server validates); a default request must fit on some node (plan/rules/capacity.py).
- `podSecurity`: the Pod Security admission labels (`privileged|baseline|restricted`).
- `retainNamespace`: whether the Pulumi engine keeps the Namespace on removal.
- `groups`: RBAC group subjects, names from Dex's tokens through the API server's
  AuthenticationConfiguration (only with Dex and a kubeadm-built API server).

Rules that span tenants (duplicate names, namespaces other parts of the stack own, a
quota too small for the limit range's defaults) are in components/plan/rules/tenants.py.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from components.config.base import DnsLabel, StrictModel
from components.config.k8s_names import invalid
from components.config.k8s_values import Quantity

def _check_group(value: str) -> str:
    """What an IdP group name may be: 1 to 256 characters, no control characters, no
    surrounding space (LDAP DNs and GitHub `org:team` names pass; the API server prefixes it)."""
    if not 1 <= len(value) <= 256 or value != value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise invalid(f"{value!r} is not a group name: 1 to 256 printable characters, no leading or "
                      "trailing space", "use the group name exactly as the identity provider puts it "
                      "in the token's groups claim")
    return value


GroupName = Annotated[str, AfterValidator(_check_group)]


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
    # Identity-provider groups (through Dex) whose members get the tenant's rights: with SSO
    # (Dex on a kubeadm-built cluster) the tenant's kubeconfig logs in through Dex instead
    # of carrying an account token. See components/plan/sso.py.
    groups: list[GroupName] = []

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise invalid(f"groups {value} name a group more than once", "list each group once")
        return value


