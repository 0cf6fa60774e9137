"""A chart's CRDs as resources of their own, from a pinned manifest (Helm never upgrades crds/).

The manifest is applied with pulumi-kubernetes' ConfigFile (server-side apply), so a version
bump upgrades every CRD in it. A transform gives each CRD two settings: `patchForce`, so the
apply takes over fields Helm's first install still owns (otherwise a field-manager conflict),
and `retainOnDelete`, so disabling the addon never deletes the CRDs and with them every
custom resource of the cluster (Helm leaves crds/ in place on uninstall too).
"""
from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
PATCH_FORCE = "pulumi.com/patchForce"


def take_over_crd(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Resource transform for the manifest's children: CRDs force their apply and are kept."""
    if args.type_ != CRD_TYPE:
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), PATCH_FORCE: "true"}
    props["metadata"] = metadata
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True))
    return pulumi.ResourceTransformResult(props, opts)


def declare_crds(name: str, url: str, opts: pulumi.ResourceOptions) -> k8s.yaml.v2.ConfigFile:
    return k8s.yaml.v2.ConfigFile(
        name, file=url,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transforms=[take_over_crd])))
