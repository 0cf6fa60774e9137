"""Cluster addons as one ordered graph of Helm releases and the objects that go with them.

Pure specs (which addons, values, objects, edges) live in catalog.py and one module per
addon; this module only turns them into resources. Every release depends on the
releases of earlier stages (CNI first); every object depends on its own release, so
custom resources wait for their CRDs and webhooks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..config.model import StackConfig
from ..kube_objects import declare
from .catalog import addon_graph, all_addons, crd_sources
from .ingress_secrets import ingress_inputs
from .spec import AddonSpec

__all__ = ["AddonsResult", "HelmAddon", "addon_graph", "build_addons", "crd_sources"]

# Long enough for image pulls on a fresh cluster; a release that fails is rolled back.
RELEASE_TIMEOUT_S = 900


@dataclass
class AddonsResult:
    releases: dict[str, pulumi.Resource] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class HelmAddon(pulumi.ComponentResource):
    """One addon: its namespace, its pinned Helm release, then its objects."""

    def __init__(self, spec: AddonSpec, provider: k8s.Provider, depends_on: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("clusterforge:addons:HelmAddon", spec.key, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        before = list(depends_on)
        if spec.owns_namespace:  # else an addon it depends on created it
            before.append(k8s.core.v1.Namespace(
                spec.namespace, metadata={"name": spec.namespace, "labels": dict(spec.namespace_labels)},
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=depends_on))))
        before_release = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=before))
        before += [k8s.yaml.v2.ConfigFile(f"{spec.key}-manifest-{i}", file=url, opts=before_release)
                   for i, url in enumerate(spec.manifests)]
        before += _declare_all(spec.prerequisites, before_release)
        oci = spec.repository.startswith("oci://")
        self.release = k8s.helm.v3.Release(
            spec.release,
            name=spec.release,
            namespace=spec.namespace,
            chart=f"{spec.repository.rstrip('/')}/{spec.chart}" if oci else spec.chart,
            repository_opts=None if oci else {"repo": spec.repository},
            version=spec.version,
            values=spec.values,
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT_S,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=before)))
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


def build_addons(cfg: StackConfig, provider: k8s.Provider, depends_on: list[pulumi.Resource],
                 parent: pulumi.Resource, secrets: dict[str, pulumi.Output] | None = None) -> AddonsResult:
    extra = {}
    ingress = ingress_inputs(cfg, secrets or {}, parent)
    if ingress is not None:
        extra["ingress"] = ingress
    if cfg.addons.prometheus.enabled:
        password = random.RandomPassword("grafana-admin", length=32, special=False,
                                         opts=pulumi.ResourceOptions(parent=parent))
        extra["grafana_admin_password"] = pulumi.Output.secret(password.result)
    specs = all_addons(cfg, **extra)
    addons: dict[str, HelmAddon] = {}
    for key, spec in specs.items():  # stage order: dependencies come first
        needs = [addons[d] for d in spec.depends_on]
        # An addon waits for the whole component (release and objects) of what it needs.
        addons[key] = HelmAddon(spec, provider, [*depends_on, *needs],
                                opts=pulumi.ResourceOptions(parent=parent))
    return AddonsResult(releases={k: a.release for k, a in addons.items()})
