"""Calico through the Tigera operator: the chart installs the operator, we declare the
`Installation` (pod CIDR, encapsulation, MTU) and optionally the `APIServer`.

The chart ships its CRDs in crds/, which Helm installs once and never upgrades: they are
applied instead from the release's own CRD manifest, at the pinned version, as resources
of their own, and the release skips its crds/."""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://docs.tigera.io/calico/charts"


def calico(cfg) -> AddonSpec:
    c = cfg.addons.calico
    # The chart's own Installation/APIServer are off: ours are explicit objects.
    values = {"installation": {"enabled": False}, "apiServer": {"enabled": False},
              "goldmane": {"enabled": False}, "whisker": {"enabled": False}}
    network = {
        "bgp": "Enabled" if c.encapsulation.startswith("IPIP") else "Disabled",
        "ipPools": [{
            "name": "default-ipv4-ippool",
            "cidr": str(cfg.kubernetes.pod_cidr),
            "blockSize": c.block_size,
            "encapsulation": c.encapsulation,
            "natOutgoing": "Enabled",
            "nodeSelector": "all()",
        }],
    }
    if c.mtu is not None:
        network["mtu"] = c.mtu
    objects = [obj("operator.tigera.io/v1", "Installation", "default",
                   spec={"variant": "Calico", "calicoNetwork": network})]
    if c.api_server:
        objects.append(obj("operator.tigera.io/v1", "APIServer", "default", spec={}))
    return AddonSpec(key="calico", release="tigera-operator", namespace=c.namespace,
                     chart="tigera-operator", repository=REPOSITORY, version=c.version,
                     values=merge_values(values, c.values), objects=tuple(objects),
                     crd_manifest=crd_manifest_url(c.version))


def crd_manifest_url(version: str) -> str:
    """Every CRD of Calico and its operator at `version` (what the chart's crds/ holds)."""
    return f"https://raw.githubusercontent.com/projectcalico/calico/{version}/manifests/operator-crds.yaml"


def crd_source(cfg) -> tuple[str, str]:
    v = cfg.addons.calico.version
    return f"calico-operator-crds-{v}.yaml", crd_manifest_url(v)
