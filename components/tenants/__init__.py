"""Tenants as resources: one component per tenant, plus the shared read-only ClusterRole.

The objects come from `plan.py`; this module only declares them. A tenant's Namespace
is kept when the tenant leaves the config (`retain_on_delete`), unless the tenant said
`retainNamespace: false` first; `protect` would instead stop every `pulumi up` that
removes a tenant. The kubeconfig is built from the account's token Secret, which the
token controller fills in, and is a secret output; a tenant with SSO (plan/sso.py) has no
token Secret and its kubeconfig runs kubelogin against Dex, trusting the cluster CA.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.kube_objects import declare, resource_name
from components.plan.addons.spark_operator import tenant_objects as spark_tenant_objects
from components.plan.addons.ingress_inputs import issuer_url
from components.plan.tenants import TenantPlan, shared_objects, sso_kubeconfig, tenant_kubeconfig, tenant_plans

__all__ = ["TenantsResult", "build_tenants"]

_TYPED = {
    "Namespace": lambda n, o, opts: k8s.core.v1.Namespace(n, metadata=o["metadata"], opts=opts),
    "Role": lambda n, o, opts: k8s.rbac.v1.Role(n, metadata=o["metadata"], rules=o["rules"], opts=opts),
    "RoleBinding": lambda n, o, opts: k8s.rbac.v1.RoleBinding(
        n, metadata=o["metadata"], role_ref=o["roleRef"], subjects=o["subjects"], opts=opts),
    "ResourceQuota": lambda n, o, opts: k8s.core.v1.ResourceQuota(n, metadata=o["metadata"], spec=o["spec"],
                                                                 opts=opts),
    "LimitRange": lambda n, o, opts: k8s.core.v1.LimitRange(n, metadata=o["metadata"], spec=o["spec"], opts=opts),
}


def _declare(o: dict, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    make = _TYPED.get(o["kind"])
    return make(resource_name(o), o, opts) if make is not None else declare(o, opts)


def _decoded_token(data) -> str | None:
    token = (data or {}).get("token")
    return None if token is None else base64.b64decode(token).decode()


class TenantResources(pulumi.ComponentResource):
    """One tenant: its namespace, then everything in it (and its cluster-wide read binding)."""

    def __init__(self, plan: TenantPlan, provider: k8s.Provider, admin_kubeconfig: pulumi.Output[str],
                 depends_on: list[pulumi.Resource], opts: pulumi.ResourceOptions | None = None,
                 extras: tuple[dict, ...] = (), sso: tuple[str, pulumi.Output[str]] | None = None,
                 deleted_with: pulumi.Resource | None = None):
        """`sso`: (issuer, its CA certificate) for a tenant whose people log in through Dex."""
        super().__init__("clusterforge:tenants:Tenant", plan.name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on,
                                       deleted_with=deleted_with)
        self.namespace = _declare(plan.namespace, pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(retain_on_delete=plan.retain_namespace)))
        inside = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.namespace]))
        self.objects = {o["kind"]: _declare(o, inside) for o in plan.objects if o["kind"] != "Secret"}
        # What addons give each tenant (the Spark driver account), in its namespace too.
        self.extras = [_declare(o, inside) for o in extras]
        if plan.sso and sso is not None:
            issuer, ca = sso
            self.token_secret = None
            self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(admin_kubeconfig, ca).apply(
                lambda args: sso_kubeconfig(args[0], plan.name, issuer, args[1])))
        else:
            self._token_kubeconfig(plan, admin_kubeconfig, inside)
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _token_kubeconfig(self, plan: TenantPlan, admin_kubeconfig: pulumi.Output[str],
                          inside: pulumi.ResourceOptions) -> None:
        account = self.objects["ServiceAccount"]
        token = next(o for o in plan.objects if o["kind"] == "Secret")
        self.token_secret = _declare(token, pulumi.ResourceOptions.merge(
            inside, pulumi.ResourceOptions(depends_on=[self.namespace, account])))
        token_text = self.token_secret.data.apply(_decoded_token)
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(admin_kubeconfig, token_text).apply(
            lambda args: tenant_kubeconfig(args[0], plan.name, args[1]) if args[1] is not None else None))


@dataclass
class TenantsResult:
    tenants: dict[str, TenantResources] = field(default_factory=dict)
    shared: list[pulumi.Resource] = field(default_factory=list)

    @property
    def kubeconfigs(self) -> pulumi.Output:
        """tenant -> its kubeconfig, one secret output."""
        return pulumi.Output.secret({name: t.kubeconfig for name, t in self.tenants.items()})


def build_tenants(cfg, provider: k8s.Provider, admin_kubeconfig: pulumi.Output[str],
                  depends_on: list[pulumi.Resource], parent: pulumi.Resource,
                  issuer_ca: pulumi.Output[str] | None = None,
                  deleted_with: pulumi.Resource | None = None) -> TenantsResult:
    """`issuer_ca`: with SSO, the cluster CA's certificate (Dex's issuer is served under it)."""
    sso = (issuer_url(cfg), issuer_ca) if issuer_ca is not None else None
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on, deleted_with=deleted_with)
    shared = [_declare(o, opts) for o in shared_objects()]
    tenants = {plan.name: TenantResources(plan, provider, admin_kubeconfig, [*depends_on, *shared],
                                          opts=pulumi.ResourceOptions(parent=parent),
                                          extras=spark_tenant_objects(cfg, plan.name), sso=sso,
                                          deleted_with=deleted_with)
               for plan in tenant_plans(cfg)}
    return TenantsResult(tenants=tenants, shared=shared)
