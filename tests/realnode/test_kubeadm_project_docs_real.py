"""The kubeadm documents the project renders for its playbooks (components/plan/provisioning/
kubeadm_config.py: node_documents), fed to the real kubeadm on test nodes: init and a worker
join succeed, and the cluster shows what they ask for: the worker's label and taint from the
host config, the control-plane taint, the extra certificate SAN on the API server's certificate.

Test-node adaptations, added to the rendered documents and named here: the kubelet runs with
cgroupfs and cgroup v1 allowed (no systemd, a hybrid v1 machine: a per-node kubeadm patch,
with the node's own cgroup root), kube-proxy leaves conntrack alone (nf_conntrack_max is
machine-wide), and SystemVerification is ignored (kubeadm's own advice on cgroup v1).
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
from ipaddress import IPv4Network

import pytest
import yaml

from components.plan.hosts.spec import Taint
from components.plan.provisioning.kubeadm_config import ClusterSettings, node_documents
from tests.realnode.cluster import assert_machine_as_it_was, started_cluster, wait_ready
from tests.testbed.inventory import testbed_host_specs

EXTRA_SAN = "api.cluster.test"
KUBE_PROXY = {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
              "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"}}
TEST_NODE_KUBELET = "cgroupDriver: cgroupfs\nfailCgroupV1: false\ncgroupRoot: /{cgroup_root}\n"


@pytest.fixture(scope="module")
def cluster():
    c = started_cluster(2)
    yield c
    c.close()


def _documents(cluster) -> dict[str, list[dict]]:
    specs = testbed_host_specs(cluster.bed)
    specs[1] = dataclasses.replace(specs[1], labels={"example.com/pool": "batch"},
                                   taints=(Taint(key="example.com/dedicated", value="batch", effect="NoSchedule"),))
    settings = ClusterSettings(version=cluster.version.lstrip("v"), endpoint=f"{specs[0].internal_address}:6443",
                               pod_cidr=IPv4Network("10.244.0.0/16"), service_cidr=IPv4Network("10.96.0.0/12"),
                               cert_sans=(specs[0].internal_address, EXTRA_SAN))
    docs = node_documents(settings, specs)
    for node in cluster.nodes:
        (node.root / "etc/kubernetes/patches/kubeletconfiguration+merge.yaml").write_text(
            TEST_NODE_KUBELET.format(cgroup_root=node.cgroup_root))
        for doc in docs[node.name]:
            if doc["kind"] in ("InitConfiguration", "JoinConfiguration"):
                doc["patches"] = {"directory": "/etc/kubernetes/patches"}
    docs[cluster.nodes[0].name].append(KUBE_PROXY)
    return docs


def test_the_rendered_documents_build_the_cluster(cluster):
    docs = _documents(cluster)
    first, worker = cluster.nodes
    (first.root / "etc/kubernetes/kubeadm.yaml").write_text(yaml.safe_dump_all(docs[first.name]))
    result = first.exec("kubeadm", "init", "--config", "/etc/kubernetes/kubeadm.yaml", "--upload-certs",
                        "--ignore-preflight-errors=SystemVerification", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    command = first.exec("kubeadm", "token", "create", "--print-join-command").stdout.split()
    join = docs[worker.name][0]
    join["discovery"] = {"bootstrapToken": {"token": command[command.index("--token") + 1],
                                            "apiServerEndpoint": command[2],
                                            "caCertHashes": [command[command.index("--discovery-token-ca-cert-hash") + 1]]}}
    (worker.root / "etc/kubernetes/kubeadm.yaml").write_text(yaml.safe_dump_all(docs[worker.name]))
    result = worker.exec("kubeadm", "join", "--config", "/etc/kubernetes/kubeadm.yaml",
                         "--ignore-preflight-errors=SystemVerification", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wait_ready(cluster, {n.name for n in cluster.nodes})


def test_labels_taints_and_sans_are_on_the_cluster(cluster):
    first, worker = cluster.nodes
    nodes = {n["metadata"]["name"]: n for n in json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]}
    assert nodes[worker.name]["metadata"]["labels"]["example.com/pool"] == "batch"
    assert {"key": "example.com/dedicated", "value": "batch", "effect": "NoSchedule"} in nodes[worker.name]["spec"]["taints"]
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in nodes[first.name]["spec"]["taints"]
    # The certificate the API server serves (read off the wire, on the test bridge).
    served = subprocess.run(["openssl", "s_client", "-connect", f"{first.host.address}:6443", "-showcerts"],
                            input="", capture_output=True, text=True, timeout=30).stdout
    sans = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=served,
                          capture_output=True, text=True).stdout
    assert f"DNS:{EXTRA_SAN}" in sans and f"IP Address:{first.host.address}" in sans, sans


def test_teardown_leaves_the_machine_as_it_was(cluster):
    assert_machine_as_it_was(cluster)
