"""OpenEBS local PV (hostpath): the provisioner chart and our own StorageClass."""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://openebs.github.io/dynamic-localpv-provisioner"


def openebs(cfg) -> AddonSpec:
    o = cfg.addons.openebs
    # The chart's class is off so the StorageClass is an explicit, checked object.
    values = {"hostpathClass": {"enabled": False}, "analytics": {"enabled": False}}
    cas_config = f"- name: StorageType\n  value: hostpath\n- name: BasePath\n  value: {o.base_path}\n"
    annotations = {"cas.openebs.io/config": cas_config, "openebs.io/cas-type": "local"}
    if o.default_class:
        annotations["storageclass.kubernetes.io/is-default-class"] = "true"
    storage_class = obj("storage.k8s.io/v1", "StorageClass", o.storage_class, annotations=annotations,
                        provisioner="openebs.io/local", reclaimPolicy="Delete",
                        # Bind where the pod lands: a hostpath volume lives on one node.
                        volumeBindingMode="WaitForFirstConsumer")
    return AddonSpec(key="openebs", release="openebs-localpv", namespace=o.namespace,
                     chart="localpv-provisioner", repository=REPOSITORY, version=o.version,
                     values=merge_values(values, o.values),
                     objects=(storage_class,))
