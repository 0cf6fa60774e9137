"""Fields a running cluster fixed when it was created, and the refusal to change them (pure).

kubeadm writes these into the cluster at `kubeadm init` (the static pod manifests, the
certificates, every kubeconfig, the kubelet config of each node, the kubeadm-config
ConfigMap), Calico into its IP pool; init runs once, so a later change would be declared,
the init command re-run, the playbook would find the cluster and skip, and config and
cluster would disagree with nothing said. A deployment records their values (output
`fixedAtCreation`, see deployed.py); a later config that changes one is refused before
anything is declared, naming the field, why, and the way to do it, as KubeOne does for
its immutable fields. What can change has a step of its own: the version (upgrade), the
certificate's SANs (cert-sans), labels and taints (node-config), single sign-on
(authentication), kube-vip's version and interface (the control-plane command rewrites its
static pod). The etcd topology is fixed too: stacked on the control planes, the one
topology the config accepts (role `etcd` is refused), so no field can change it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from components.config.base import Finding
from components.config.model import StackConfig
from components.plan.provisioning.endpoint import configured_endpoint

# Host kinds whose cluster clusterforge creates with kubeadm (kind and kwok make their own).
KUBEADM_KINDS = ("proxmox", "aws", "existing")
NEW_CLUSTER = "build a new cluster with the new value (a new stack) and move the workloads"


@dataclass(frozen=True)
class FixedField:
    path: str
    why: str                                   # who fixes it at creation, and what keeps the old value
    way: str                                   # how to get the change anyway
    value: Callable[[StackConfig], str | None]  # None: the field does not apply to this stack


def _endpoint(cfg: StackConfig) -> str:
    found = configured_endpoint(cfg)
    return f"{found[0]}:{found[1]}" if found else "(the first control plane's address)"


FIXED_FIELDS: tuple[FixedField, ...] = (
    FixedField(
        "kubernetes.serviceCidr",
        "kubeadm init gave it to the API server and controller manager (--service-cluster-ip-range); every "
        "Service holds a ClusterIP from it, the kubernetes Service its first address (named in the API "
        "server's certificate) and CoreDNS its tenth (in every kubelet's clusterDNS)",
        f"keep it and add a range with a ServiceCIDR object (networking.k8s.io/v1, Kubernetes 1.33 and "
        f"later: 'Extend Service IP Ranges' in the Kubernetes docs), or {NEW_CLUSTER}",
        lambda cfg: str(cfg.kubernetes.service_cidr)),
    FixedField(
        "kubernetes.podCidr",
        "kubeadm init gave it to the controller manager (--cluster-cidr), which handed each node its podCIDR, "
        "and Calico created its IP pool from it; the Tigera operator does not move an existing pool",
        f"keep it and follow Calico's 'Migrate from one IP pool to another' (a new IPPool, the old one "
        f"disabled, pods recreated), or {NEW_CLUSTER}",
        lambda cfg: str(cfg.kubernetes.pod_cidr)),
    FixedField(
        "kubernetes.clusterDomain",
        "kubeadm init wrote it into the kubelet config of every node, CoreDNS's Corefile and the API "
        "server's certificate (kubernetes.default.svc.<domain>)",
        NEW_CLUSTER,
        lambda cfg: cfg.kubernetes.cluster_domain),
    FixedField(
        "kubernetes.controlPlaneEndpoint",
        "kubeadm init baked it into the certificates, every node's kubelet.conf, admin.conf and the "
        "kubeadm-config ConfigMap that joins and upgrades read (with kube-vip it is kubernetes.ha.vip)",
        "keep it and give clients another name through kubernetes.certSans (cert-sans re-issues the API "
        f"server certificate on a running cluster), or {NEW_CLUSTER}",
        _endpoint),
    FixedField(
        "provisioning.airGapped.imageRepository",
        "kubeadm init wrote it into the ClusterConfiguration of the kubeadm-config ConfigMap and the static "
        "pod manifests; upgrades and joins read it from there, not from this config",
        "keep it and serve the images under that name from the new registry (a DNS name or a mirror), or "
        f"{NEW_CLUSTER}",
        lambda cfg: str((cfg.provisioning.air_gapped.image_repository if cfg.provisioning.air_gapped else None)
                        or "(the public registry)")),
    FixedField(
        "addons.calico.blockSize",
        "Calico allocates pod addresses in blocks of this size from the pool made at install; a pool's "
        "blockSize cannot change",
        f"keep it and migrate to a new IP pool with the new block size (Calico's 'Migrate from one IP pool "
        f"to another'), or {NEW_CLUSTER}",
        lambda cfg: str(cfg.addons.calico.block_size) if cfg.addons.calico.enabled else None),
)


def fixed_values(cfg: StackConfig) -> dict[str, str]:
    """path -> the value a deployment of `cfg` fixes (empty off kubeadm)."""
    if cfg.hosts.kind not in KUBEADM_KINDS:
        return {}
    return {f.path: value for f in FIXED_FIELDS if (value := f.value(cfg)) is not None}


def _where(cfg: StackConfig, path: str) -> str:
    """The key to name: the endpoint is the VIP's when kube-vip gives it."""
    if path == "kubernetes.controlPlaneEndpoint" and cfg.kubernetes.control_plane_endpoint is None \
            and cfg.kubernetes.ha.vip is not None:
        return "kubernetes.ha.vip"
    return path


def fixed_field_findings(cfg: StackConfig, deployed: Mapping[str, str] | None) -> list[Finding]:
    """A change to a field the running cluster fixed at creation, refused with why and the way."""
    if not deployed:
        return []
    now = fixed_values(cfg)
    findings = []
    for f in FIXED_FIELDS:
        before, after = deployed.get(f.path), now.get(f.path)
        if before is None or after is None or before == after:
            continue
        findings.append(Finding(
            _where(cfg, f.path),
            f"the running cluster was created with {before} and this config says {after}, but the field is "
            f"fixed at creation: {f.why}; changing it here would re-run nothing that applies it",
            f"{f.way}; to keep this cluster, set it back to {before}"))
    return findings
