"""What the provisioning phases get: inventory and variables for planned hosts (pure)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

from components.config.model import StackConfig
from components.plan.hosts.spec import HostSpec
from components.plan.provisioning import kubeadm_config as kc
from components.plan.provisioning.inventory import build_inventory
from components.plan.provisioning.variables import control_plane_endpoint, playbook_vars

# The phases (playbooks) a stack runs, in the graph's order (prepare and join run per host,
# see work.py; the others once for the cluster). `upgrade` is a no-op while every node runs
# kubernetes.version; after a version change it moves the running nodes (one minor, drained)
# before new nodes join at the new version. `remove-node` takes the hosts listed in
# hosts.retire out of the cluster after the joins (a replacement joins before the node it
# replaces leaves) and does nothing while none is listed. reset runs on destroy (a separate
# command, see build_provisioning).
PHASES = ("prepare", "control-plane", "upgrade", "cert-sans", "join", "node-config", "remove-node", "kubeconfig")


def split_retiring(retire: Collection[str], hosts: Sequence[HostSpec]) -> tuple[list[HostSpec], list[HostSpec]]:
    """(staying, retiring): the hosts the cluster keeps and those named in `retire` (hosts.retire)."""
    return [h for h in hosts if h.name not in retire], [h for h in hosts if h.name in retire]


def init_host(hosts: Sequence[HostSpec]) -> HostSpec:
    """The control-plane node that runs `kubeadm init` (the first by name)."""
    control_planes = sorted((h for h in hosts if h.role == "control-plane"), key=lambda h: h.name)
    if not control_planes:
        raise ValueError("a kubeadm cluster needs at least one control-plane host")
    return control_planes[0]


def endpoint(cfg: StackConfig, hosts: Sequence[HostSpec]) -> tuple[str, int]:
    """host, port the nodes reach the API server at, taking the first control plane's address
    from the resolved hosts (a cloud address is known only at apply, not in the planned specs)."""
    k = cfg.kubernetes
    if k.control_plane_endpoint is not None or k.ha.vip is not None:
        return control_plane_endpoint(cfg)
    return init_host(hosts).internal_address, 6443


def client_endpoint(cfg: StackConfig, hosts: Sequence[HostSpec]) -> tuple[str, int]:
    """host, port kubectl and the Pulumi provider use (the handed-over kubeconfig): the
    configured endpoint or VIP, else the first control plane's SSH address, which on a cloud
    is its public (Elastic) address and elsewhere its one address."""
    k = cfg.kubernetes
    if k.control_plane_endpoint is not None or k.ha.vip is not None:
        return control_plane_endpoint(cfg)
    return init_host(hosts).ssh_address, 6443


def kubeadm_vars(cfg: StackConfig, hosts: Sequence[HostSpec]) -> dict[str, Any]:
    """The kubeadm part of the playbook variables: documents per host, init host, kube-vip."""
    host, port = endpoint(cfg, hosts)
    control_planes = sum(h.role == "control-plane" for h in hosts)
    settings = kc.ClusterSettings.from_config(cfg, f"{host}:{port}", control_planes,
                                              extra_sans=(client_endpoint(cfg, hosts)[0],))
    variables: dict[str, Any] = {
        "kubeadm_init_host": init_host(hosts).name,
        "kubeadm_documents": kc.node_documents(settings, hosts),
        "kubeadm_upload_certs": settings.ha,
    }
    ha = cfg.kubernetes.ha
    if ha.mode == "kube-vip":
        args = (str(ha.vip), ha.interface, ha.kube_vip_version, port)
        variables["kube_vip_manifest"] = kc.kube_vip_manifest(*args)
        variables["kube_vip_manifest_bootstrap"] = kc.kube_vip_manifest(
            *args, kubeconfig="/etc/kubernetes/super-admin.conf")
    return variables


def phase_inputs(cfg: StackConfig, hosts: Sequence[HostSpec]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inventory, variables) every phase runs with. Retiring hosts are only in the
    inventory's `retiring` group; everything else (init host, kubeadm documents) is the rest."""
    staying, retiring = split_retiring(cfg.hosts.retire, hosts)
    host, port = endpoint(cfg, staying)
    client_host, client_port = client_endpoint(cfg, staying)
    variables = {**playbook_vars(cfg), **kubeadm_vars(cfg, staying),
                 "control_plane_endpoint": f"{host}:{port}",
                 "client_endpoint": f"{client_host}:{client_port}",
                 "cert_sans": sorted({*cfg.kubernetes.cert_sans, host, client_host})}
    return build_inventory(staying, {}, retiring), variables


def digest(value: Any) -> str:
    """A stable hash of JSON-shaped data (part of a phase's triggers)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
