"""What the provisioning phases get: inventory and variables for planned hosts (pure)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

from components.config.model import StackConfig
from components.plan.hosts.spec import HostSpec
from components.plan.provisioning import kubeadm_config as kc
from components.plan.provisioning.endpoint import api_endpoint, cert_sans, client_endpoint, init_host
from components.plan.provisioning.inventory import build_inventory
from components.plan.provisioning.variables import playbook_vars

# The phases (playbooks) a stack runs, in the graph's order (prepare and join run per host,
# see work.py; the others once for the cluster). `upgrade` is a no-op while every node runs
# kubernetes.version; after a version change it moves the running nodes (one minor, drained)
# before new nodes join at the new version. `remove-node` takes the hosts listed in
# hosts.retire out of the cluster after the joins (a replacement joins before the node it
# replaces leaves) and does nothing while none is listed. reset runs on destroy (a separate
# command, see build_provisioning). With SSO `authentication` runs first, on the control
# planes (work.py).
PHASES = ("prepare", "control-plane", "upgrade", "cert-sans", "join", "node-config", "remove-node", "kubeconfig")


def split_retiring(retire: Collection[str], hosts: Sequence[HostSpec]) -> tuple[list[HostSpec], list[HostSpec]]:
    """(staying, retiring): the hosts the cluster keeps and those named in `retire` (hosts.retire)."""
    return [h for h in hosts if h.name not in retire], [h for h in hosts if h.name in retire]


def kubeadm_vars(cfg: StackConfig, hosts: Sequence[HostSpec]) -> dict[str, Any]:
    """The kubeadm part of the playbook variables: documents per host, init host, kube-vip."""
    host, port = api_endpoint(cfg, hosts)
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
    host, port = api_endpoint(cfg, staying)
    client_host, client_port = client_endpoint(cfg, staying)
    variables = {**playbook_vars(cfg), **kubeadm_vars(cfg, staying),
                 "control_plane_endpoint": f"{host}:{port}",
                 "client_endpoint": f"{client_host}:{client_port}",
                 "cert_sans": cert_sans(cfg, (host, client_host))}
    return build_inventory(staying, {}, retiring), variables


def digest(value: Any) -> str:
    """A stable hash of JSON-shaped data (part of a phase's triggers)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
