"""The NVIDIA device plugin, on the nodes that carry GPUs."""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values
from components.plan.hosts.expand import host_specs

REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"


def wanted(cfg) -> bool:
    """Explicit setting, else on when any (real) host reports GPUs."""
    enabled = cfg.addons.nvidia_device_plugin.enabled
    if enabled is not None:
        return enabled
    return cfg.uses_kubeadm and any(h.gpus for h in host_specs(cfg))


def gpu_tolerations(cfg) -> list[dict]:
    """Tolerations of the GPU taints the hosts were given, for pods that run where GPUs are."""
    taints = sorted({(t.key, t.effect) for h in host_specs(cfg) if h.gpus for t in h.taints})
    return [{"key": key, "operator": "Exists", "effect": effect} for key, effect in taints]


def nvidia_device_plugin(cfg) -> AddonSpec:
    n = cfg.addons.nvidia_device_plugin
    values = {"nodeSelector": dict(n.node_selector), "tolerations": gpu_tolerations(cfg)}
    return AddonSpec(key="nvidiaDevicePlugin", release="nvidia-device-plugin", namespace=n.namespace,
                     chart="nvidia-device-plugin", repository=REPOSITORY, version=n.version,
                     values=merge_values(values, n.values))
