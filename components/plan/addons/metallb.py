"""MetalLB in L2 mode: the chart, an IPAddressPool and an L2Advertisement (no ConfigMap form)."""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://metallb.github.io/metallb"
POOL = "default"


def metallb(cfg) -> AddonSpec:
    m = cfg.addons.metallb
    pool = obj("metallb.io/v1beta1", "IPAddressPool", POOL, m.namespace,
               spec={"addresses": list(m.addresses), "autoAssign": True})
    advert = obj("metallb.io/v1beta1", "L2Advertisement", POOL, m.namespace,
                 spec={"ipAddressPools": [POOL]})
    # The speaker needs host networking and NET_RAW: the namespace must allow it.
    labels = {f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("enforce", "audit", "warn")}
    return AddonSpec(key="metallb", release="metallb", namespace=m.namespace, chart="metallb",
                     repository=REPOSITORY, version=m.version, values=merge_values({}, m.values),
                     namespace_labels=labels, objects=(pool, advert))


def crd_source(cfg) -> tuple[str, str]:
    v = cfg.addons.metallb.version
    return (f"metallb-native-v{v}.yaml",
            f"https://raw.githubusercontent.com/metallb/metallb/v{v}/config/manifests/metallb-native.yaml")
