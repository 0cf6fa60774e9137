"""The root component: hosts -> cluster bootstrap -> provider -> addons -> emulation.

One dependency graph for the whole stack. Each area lives in its own package and is
called through one `build_*` function, so this file only says what depends on what.
"""
from __future__ import annotations

import pulumi

from components.access import ClusterAccess
from components.addons import build_addons
from components.addons.ingress_secrets import ingress_inputs
from components.emulation import build_emulation, build_kind_cluster, build_kwok_cluster
from components.hosts import build_hosts
from components.kube import cluster_provider
from components.plan.deployed import Deployed
from components.plan.sso import sso_enabled
from components.plan.stack_plan import StackPlan
from components.provisioning import build_provisioning
from components.tenants import build_tenants

# Addons a tenant's pods and volumes need first: the CNI and the default StorageClass.
TENANTS_AFTER = ("calico", "openebs")


class Cluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, stack_plan: StackPlan, secrets: dict[str, pulumi.Output[str]],
                 deployed: Deployed | None = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("clusterforge:index:Cluster", name, None, opts)
        cfg = stack_plan.config
        # With SSO the API server trusts Dex through the cluster CA, so the secure ingress
        # inputs (the CA among them) come before provisioning; otherwise the addons make them.
        ingress = ingress_inputs(cfg, secrets, self) if sso_enabled(cfg) else None
        issuer_ca = ingress.ca_cert_pem if ingress is not None and isinstance(ingress.ca_cert_pem, pulumi.Output) \
            else None

        if cfg.hosts.kind == "kind":
            access: ClusterAccess = build_kind_cluster(cfg, parent=self)
            host_names: list[str] = []
        elif cfg.hosts.kind == "kwok":
            access = build_kwok_cluster(cfg, parent=self)
            host_names = []
        else:
            hosts = build_hosts(stack_plan, secrets, parent=self)
            access = build_provisioning(cfg, hosts, secrets, parent=self, deployed=deployed, issuer_ca=issuer_ca)
            host_names = [h.name for h in hosts.hosts]

        provider = cluster_provider(cfg, access.kubeconfig, parent=self)
        emulation = None
        if cfg.hosts.kind == "kwok":
            # Every node is emulated: the node groups come first, or addon pods have
            # nowhere to run and their releases never become ready.
            emulation = build_emulation(cfg, provider, access.kubeconfig, depends_on=access.ready,
                                        parent=self, deleted_with=access.owner)
            addons = build_addons(cfg, provider, secrets=secrets, parent=self,
                                  depends_on=[*access.ready, *emulation.node_groups.values()],
                                  ingress=ingress, deleted_with=access.owner)
        else:
            addons = build_addons(cfg, provider, depends_on=access.ready, secrets=secrets, parent=self,
                                  ingress=ingress, deleted_with=access.owner)
        for note in addons.notes:
            pulumi.log.warn(note)
        after_addons = [*access.ready, *addons.releases.values()]
        if cfg.emulation is not None:
            if emulation is None:
                emulation = build_emulation(cfg, provider, access.kubeconfig, depends_on=after_addons,
                                            parent=self, deleted_with=access.owner)
            emulation.declare_dashboard(cfg, provider, depends_on=after_addons)
        self.tenant_kubeconfigs = None
        if cfg.tenants:
            needs = [addons.releases[k] for k in TENANTS_AFTER if k in addons.releases]
            tenants = build_tenants(cfg, provider, access.kubeconfig, depends_on=[*access.ready, *needs],
                                    parent=self, issuer_ca=issuer_ca, deleted_with=access.owner)
            self.tenant_kubeconfigs = tenants.kubeconfigs

        self.kubeconfig = pulumi.Output.secret(access.kubeconfig)
        self.ready = access.ready  # the cluster is built (provisioning done) after these
        self.register_outputs({"kubeconfig": self.kubeconfig, "hosts": host_names})
