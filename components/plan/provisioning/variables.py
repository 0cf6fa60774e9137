"""The variables every playbook gets, derived from the stack config (pure).

They go into the inventory's `all.vars`, so the inventory file alone says how a cluster
is built; and their hash is part of each provisioning phase's triggers. The endpoints and
SANs, which need the resolved hosts, come from endpoint.py (see phases.phase_inputs).
"""
from __future__ import annotations

from typing import Any

from components.config.model import StackConfig
from components.config.provisioning import containerd_minimums


def playbook_vars(cfg: StackConfig) -> dict[str, Any]:
    k = cfg.kubernetes
    variables: dict[str, Any] = {
        "cluster_name": cfg.cluster.name,
        "kubernetes_version": k.version.lstrip("v"),
        "kubernetes_minor": k.minor,
        "pod_cidr": str(k.pod_cidr),
        "service_cidr": str(k.service_cidr),
        "cluster_domain": k.cluster_domain,
        "ha_mode": k.ha.mode,
        # prepare refuses an installed containerd the minor does not support.
        "containerd_minimum_versions": list(containerd_minimums(k.minor) or ()),
    }
    if k.ha.mode == "kube-vip":
        variables.update(kube_vip_address=str(k.ha.vip), kube_vip_interface=k.ha.interface,
                         kube_vip_version=k.ha.kube_vip_version)
    provisioning = cfg.provisioning.model_dump(mode="json", by_alias=False)
    variables.update({f"provisioning_{key}": value for key, value in sorted(provisioning.items())})
    return variables
