"""A kubeadm cluster description for test hosts: inventory and the variables every phase
gets, built by the project's own renderer and inventory code (as the Pulumi graph does)."""
from __future__ import annotations

import json
import shutil
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from components.plan.provisioning import kubeadm_config as kc
from components.plan.provisioning.inventory import build_inventory
from components.plan.provisioning.endpoint import init_host
from components.plan.provisioning.phases import split_retiring
from components.plan.provisioning.work import node_config
from tests.testbed import inventory as testbed
from tests.testbed.hosts import Testbed

VIP = "10.250.0.10"
DOUBLES = Path(__file__).parent / "doubles"


def cluster_inputs(bed: Testbed, roles: Mapping[str, str], version: str,
                   labels: Mapping[str, Mapping[str, str]] | None = None,
                   retire: Collection[str] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inventory, variables) for an HA cluster with kube-vip of the hosts of `bed` that `roles`
    names (the others stay out, as hosts not yet in config); the hosts named in `retire` are
    split off as plan.phase_inputs does for hosts.retire."""
    specs, retiring = split_retiring(retire, [replace(s, labels=dict((labels or {}).get(s.name, {})))
                                              for s in testbed.testbed_host_specs(bed, roles) if s.name in roles])
    settings = kc.ClusterSettings(version=version, endpoint=f"{VIP}:6443", pod_cidr=IPv4Network("10.244.0.0/16"),
                                  service_cidr=IPv4Network("10.96.0.0/12"), cert_sans=(VIP, "k8s.test"), ha=True)
    variables = {
        **testbed.testbed_vars(bed, kubernetes_version=version),
        "control_plane_endpoint": settings.endpoint,
        "ha_mode": "kube-vip",
        "kubeadm_init_host": init_host(specs).name,
        "kubeadm_documents": kc.node_documents(settings, specs),
        "kubeadm_upload_certs": True,
        "cert_sans": list(settings.cert_sans),
        "node_config": node_config(specs),
        "kube_vip_manifest": kc.kube_vip_manifest(VIP, "eth0", "v1.0.1"),
        "kube_vip_manifest_bootstrap": kc.kube_vip_manifest(VIP, "eth0", "v1.0.1",
                                                            kubeconfig="/etc/kubernetes/super-admin.conf"),
    }
    return build_inventory(specs, {}, retiring), variables


def install_doubles(bed: Testbed, tools: Iterable[str] = ("kubeadm", "kubectl")) -> None:
    """Put the TEST DOUBLES of `tools` at /usr/bin/TOOL on every host of `bed` (no packages)."""
    for host in bed.hosts:
        for tool in tools:
            target = host.root / "usr/bin" / tool
            shutil.copy(DOUBLES / f"fake_{tool}.py", target)
            target.chmod(0o755)


def recorded_calls(bed: Testbed, names: Iterable[str], tool: str | None = None) -> list[dict[str, Any]]:
    """Every call the test doubles recorded on the hosts `names` (optionally of one `tool`), each
    with its host, in time order (one clock: every test host runs on this machine)."""
    out = []
    for name in names:
        log = bed.host(name).root / "var/lib/fake-kube/calls.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        out += [{**json.loads(line), "host": name} for line in lines]
    return sorted((e for e in out if tool is None or e["tool"] == tool), key=lambda e: e["t"])
