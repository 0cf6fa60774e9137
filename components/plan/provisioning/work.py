"""The provisioning work of a stack, cut per node and per cluster-wide concern (pure).

Each `Work` is one command in the graph: a playbook, the inventory it runs with (its inputs
in the inventory's vars, so a user running the playbook by hand can override them per host
or group) and its trigger: exactly what the playbook reads that should re-run it. Per host:
`prepare` (that host alone) and `join` (that host plus the first control plane, which hands
out the token). Cluster-wide: `control-plane` (kubeadm init: the init documents), `upgrade`
(the Kubernetes version), `node-config` (labels and taints), `cert-sans` (the API server
certificate's SANs), `remove-node` (hosts.retire) and `kubeconfig` (the client endpoint).
So adding a worker changes the triggers of that worker's two commands and node-config only.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.config.model import StackConfig
from components.plan.hosts.spec import HostSpec
from components.plan.provisioning.endpoint import init_host
from components.plan.provisioning.inventory import build_inventory
from components.plan.provisioning.phases import digest, phase_inputs, split_retiring
from components.plan.provisioning.role_reads import phase_hash, variables_read
from components.plan.sso import AUTHN_FILE, AUTHN_VARIABLE, authentication_file, sso_enabled

# The cluster-wide commands, in the order the graph runs them (AUTHENTICATION only with SSO).
AUTHENTICATION = "authentication"
CLUSTER_WORK = ("control-plane", "upgrade", "node-config", "cert-sans", "remove-node", "kubeconfig")


@dataclass(frozen=True)
class Work:
    phase: str                       # playbooks/<phase>.yml
    inventory: dict[str, Any]        # hosts and, in all.vars, every input the playbook reads
    trigger: Any = field(repr=False)  # what re-runs it, besides the playbook's own files

    @property
    def stdin(self) -> str:
        """The runner's input document (runner --input -)."""
        return json.dumps({"inventory": self.inventory, "variables": {}}, sort_keys=True)

    @property
    def triggers(self) -> list[str]:
        return [f"playbook:{phase_hash(self.phase)}", f"inputs:{digest(self.trigger)}"]


@dataclass(frozen=True)
class NodeWork:
    host: str
    prepare: Work
    join: Work | None        # None for the first control plane: it inits instead
    control_plane: bool


@dataclass(frozen=True)
class WorkPlan:
    inventory: dict[str, Any]        # the whole cluster (inventory.yaml; reset-on-destroy)
    nodes: dict[str, NodeWork]       # staying hosts by name
    cluster: dict[str, Work]         # CLUSTER_WORK by name


def without_registration(docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """kubeadm documents less what only counts when a kubelet registers (labels, taints):
    node-config applies those to a running node, so changing them re-runs no init or join."""
    out = copy.deepcopy([dict(d) for d in docs])
    for doc in out:
        registration = doc.get("nodeRegistration")
        if registration:
            registration.pop("taints", None)
            registration["kubeletExtraArgs"] = [a for a in registration.get("kubeletExtraArgs", [])
                                                if a["name"] != "node-labels"]
    return out


def node_config(hosts: Iterable[HostSpec]) -> dict[str, dict[str, Any]]:
    """Host name -> the labels and taints node-config keeps on its Node object."""
    return {h.name: {"labels": dict(sorted(h.labels.items())),
                     "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in h.taints]}
            for h in sorted(hosts, key=lambda h: h.name)}


def _slice(phase: str, hosts: Sequence[HostSpec], variables: Mapping[str, Any],
           documents_of: Iterable[str] = ()) -> dict[str, Any]:
    """An inventory of `hosts` holding the variables `phase` reads, and of the kubeadm
    documents only those of `documents_of`; host vars less those the phase never names."""
    read = variables_read(phase, variables)
    if "kubeadm_documents" in read:
        read["kubeadm_documents"] = {n: variables["kubeadm_documents"][n] for n in sorted(documents_of)}
    inventory = build_inventory(hosts, read)
    for group in inventory["all"]["children"]["k8s_cluster"]["children"].values():
        for name, hvars in group["hosts"].items():
            group["hosts"][name] = {k: v for k, v in hvars.items()
                                    if k.startswith("ansible_") or k in variables_read(phase, hvars)}
    return inventory


def _trigger_of(inventory: Mapping[str, Any], untriggered: Iterable[str] = ()) -> dict[str, Any]:
    """An inventory as a trigger: kubeadm documents without their registration part, and
    without the variables `untriggered` (read, but owned by another command once applied)."""
    trigger = copy.deepcopy(dict(inventory))
    for name in untriggered:
        trigger["all"]["vars"].pop(name, None)
    docs = trigger["all"]["vars"].get("kubeadm_documents")
    if docs:
        trigger["all"]["vars"]["kubeadm_documents"] = {n: without_registration(d) for n, d in docs.items()}
    return trigger


def cluster_work(cfg: StackConfig) -> tuple[str, ...]:
    """The cluster-wide commands this stack declares."""
    return (AUTHENTICATION, *CLUSTER_WORK) if sso_enabled(cfg) else CLUSTER_WORK


def plan_work(cfg: StackConfig, hosts: Sequence[HostSpec], issuer_ca_pem: str | None = None) -> WorkPlan:
    """`issuer_ca_pem`: with SSO, the cluster CA Dex's certificate is issued from (a deploy-time
    value). The file's text is only in the authentication command's inventory: offline, without
    the CA, it is left out, and the role refuses to run without it."""
    full_inventory, variables = phase_inputs(cfg, hosts)
    staying, retiring = split_retiring(cfg.hosts.retire, hosts)
    first = init_host(staying)
    variables = {**variables, "node_config": node_config(staying)}
    if sso_enabled(cfg):
        variables["apiserver_authentication_file"] = AUTHN_FILE
    full_inventory["all"]["vars"] = dict(sorted(variables.items()))

    nodes: dict[str, NodeWork] = {}
    for host in sorted(staying, key=lambda h: h.name):
        prepare = _slice("prepare", [host], variables)
        join = None
        if host.name != first.name:
            inventory = _slice("join", [first, host], variables, documents_of=[host.name])
            # A joining control plane records the SANs its certificate has; later changes are cert-sans'.
            join = Work("join", inventory, _trigger_of(inventory, untriggered=["cert_sans"]))
        nodes[host.name] = NodeWork(host.name, Work("prepare", prepare, prepare), join,
                                    host.role == "control-plane")

    control_planes = [h for h in staying if h.role == "control-plane"]
    init = _slice("control-plane", [first], variables, documents_of=[first.name])
    upgrade = _slice("upgrade", staying, variables)
    config = _slice("node-config", [first], variables)
    sans = _slice("cert-sans", control_planes, variables, documents_of=[first.name])
    remove = _slice("remove-node", [first], variables)
    remove["all"]["children"]["retiring"] = build_inventory([], {}, retiring)["all"]["children"]["retiring"]
    kubeconfig = _slice("kubeconfig", [first], variables)
    cluster = {
        "control-plane": Work("control-plane", init, _trigger_of(init)),
        "upgrade": Work("upgrade", upgrade, {"kubernetes_version": variables["kubernetes_version"]}),
        "node-config": Work("node-config", config, {"node_config": variables["node_config"]}),
        "cert-sans": Work("cert-sans", sans, {"cert_sans": variables["cert_sans"]}),
        "remove-node": Work("remove-node", remove, sorted(h.name for h in retiring)),
        "kubeconfig": Work("kubeconfig", kubeconfig, {"client_endpoint": variables["client_endpoint"],
                                                      "host": kubeconfig["all"]["children"]}),
    }
    if sso_enabled(cfg):
        text = {AUTHN_VARIABLE: authentication_file(cfg, issuer_ca_pem)} if issuer_ca_pem is not None else {}
        authn = _slice(AUTHENTICATION, control_planes, {**variables, **text}, documents_of=[first.name])
        cluster = {AUTHENTICATION: Work(AUTHENTICATION, authn, _trigger_of(authn)), **cluster}
    return WorkPlan(full_inventory, nodes, cluster)
