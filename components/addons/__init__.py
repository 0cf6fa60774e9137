"""Cluster addons as one ordered graph of Helm releases and the objects that go with them.

Pure specs (which addons, values, objects, edges) live in catalog.py and one module per
addon; this module only turns them into resources. Every release depends on the
releases of earlier stages (CNI first); every object depends on its own release, so
custom resources wait for their CRDs and webhooks. Each namespace is declared once, by
the first addon installing there; later addons in it wait for that declaration.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.addons.crds import declare_crds
from components.addons.ingress_secrets import ingress_inputs
from components.config.model import StackConfig
from components.kube_objects import declare
from components.plan.addons.catalog import NamespacePlan, all_addons, chart_reference, namespace_plans
from components.plan.addons.ingress_inputs import IngressInputs
from components.plan.addons.spec import AddonSpec

__all__ = ["AddonsResult", "HelmAddon", "build_addons"]

# Long enough for image pulls on a fresh cluster; a release that fails is rolled back.
RELEASE_TIMEOUT_S = 900


@dataclass
class AddonsResult:
    releases: dict[str, pulumi.Resource] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class HelmAddon(pulumi.ComponentResource):
    """One addon: its namespace (when it owns it), CRDs and prerequisites, its pinned Helm
    release, then its objects."""

    def __init__(self, spec: AddonSpec, provider: k8s.Provider, depends_on: list[pulumi.Resource],
                 owns: NamespacePlan | None = None, namespace: pulumi.Resource | None = None,
                 opts: pulumi.ResourceOptions | None = None, deleted_with: pulumi.Resource | None = None):
        super().__init__("clusterforge:addons:HelmAddon", spec.key, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider, deleted_with=deleted_with)

        def after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[*resources, *depends_on]))

        if owns is not None:
            namespace = k8s.core.v1.Namespace(
                owns.name, metadata={"name": owns.name, "labels": dict(owns.labels)}, opts=after())
        self.namespace = namespace
        ready = [namespace] if namespace is not None else []
        ready += _declare_all(spec.prerequisites, after(*ready))
        if spec.crd_manifest:
            ready.append(declare_crds(f"{spec.key}-crds", spec.crd_manifest, after()))
        ready += [declare_crds(f"{spec.key}-manifest-{i}", url, after()) for i, url in enumerate(spec.manifests)]
        chart, repository = chart_reference(spec)
        self.release = k8s.helm.v3.Release(
            spec.release,
            name=spec.release,
            namespace=spec.namespace,
            chart=chart,
            repository_opts=None if repository is None else {"repo": repository},
            version=spec.version,
            values=spec.values,
            create_namespace=False,
            skip_crds=bool(spec.crd_manifest),
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT_S,
            opts=after(*ready))
        after_release = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.release]))
        self.objects = _declare_all(spec.objects, after_release)
        self.register_outputs({"release": self.release.name})


def _declare_all(objects, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """Declare objects in order; each waits for the Namespace objects declared before it."""
    declared, namespaces = [], []
    for obj in objects:
        resource = declare(obj, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=namespaces)))
        declared.append(resource)
        if obj["kind"] == "Namespace":
            namespaces = [*namespaces, resource]
    return declared


def _grafana_password(cfg: StackConfig, secrets: dict[str, pulumi.Output[str]],
                      parent: pulumi.Resource) -> pulumi.Output[str]:
    """From the secret config key addons.prometheus.adminPasswordSecret names, else generated."""
    key = cfg.addons.prometheus.admin_password_secret
    if key is not None:
        return pulumi.Output.secret(secrets[key])
    password = random.RandomPassword("grafana-admin", length=32, special=False,
                                     opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(password.result)


def build_addons(cfg: StackConfig, provider: k8s.Provider, depends_on: list[pulumi.Resource],
                 secrets: dict[str, pulumi.Output[str]], parent: pulumi.Resource,
                 ingress: IngressInputs | None = None, deleted_with: pulumi.Resource | None = None) -> AddonsResult:
    """`ingress`: the secure ingress inputs when the caller made them first (with SSO,
    provisioning needs the CA)."""
    extra = {}
    if ingress is None:
        ingress = ingress_inputs(cfg, secrets, parent)
    if ingress is not None:
        extra["ingress"] = ingress
    if cfg.addons.prometheus.enabled:
        extra["grafana_admin_password"] = _grafana_password(cfg, secrets, parent)
    specs = all_addons(cfg, **extra)
    plans = namespace_plans(specs)
    addons: dict[str, HelmAddon] = {}
    namespaces: dict[str, pulumi.Resource] = {}
    for key, spec in specs.items():  # stage order: dependencies and namespace owners come first
        needs = [addons[d] for d in spec.depends_on]
        plan = plans.get(spec.namespace)
        # An addon waits for the whole component (release and objects) of what it needs.
        addons[key] = HelmAddon(spec, provider, [*depends_on, *needs],
                                owns=plan if plan is not None and plan.owner == key else None,
                                namespace=namespaces.get(spec.namespace),
                                opts=pulumi.ResourceOptions(parent=parent), deleted_with=deleted_with)
        if addons[key].namespace is not None:
            namespaces.setdefault(spec.namespace, addons[key].namespace)
    return AddonsResult(releases={k: a.release for k, a in addons.items()})
