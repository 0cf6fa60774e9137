"""The kubeadm renderer (pure): documents per node, validated against the v1beta4/kubelet schemas."""
from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from clusterforge.validate import validate_object
from components.plan.hosts.expand import expand_hosts
from components.plan.hosts.spec import KNOWN_AFTER_APPLY, HostSpec, Taint
from components.plan.provisioning import kubeadm_config as kc
from components.plan.provisioning.endpoint import init_host
from components.plan.provisioning.phases import kubeadm_vars, phase_inputs

SCHEMAS = Path(kc.__file__).parent / "schemas"
KUBEADM = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "kubeadm-v1beta4.json").read_text()))
KUBELET = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "kubelet-v1beta1.json").read_text()))
TOKEN, CA_HASH, CERT_KEY = "abcdef.0123456789abcdef", "sha256:" + "a" * 64, "b" * 64


def schema_errors(doc: dict) -> list[str]:
    validator = KUBELET if doc["kind"] == "KubeletConfiguration" else KUBEADM
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def config(stack: str, **overrides):
    cfg, _ = prepare_offline(apply_overrides(read_stack(stack), overrides))
    return cfg


def planned_hosts(cfg) -> list[HostSpec]:
    """The stack's hosts with addresses as apply would resolve them (cloud ones are assigned then)."""
    specs = [p.spec for p in expand_hosts(cfg.hosts)]
    return [replace(h, ssh_address=f"10.9.0.{i}", internal_address=f"10.9.0.{i}")
            if h.internal_address == KNOWN_AFTER_APPLY else h for i, h in enumerate(specs, start=1)]


@pytest.mark.parametrize("stack", ["homelab", "onprem", "cloud"])
def test_every_rendered_document_of_a_stack_is_schema_valid(stack):
    cfg = config(stack)
    hosts = planned_hosts(cfg)
    docs = kubeadm_vars(cfg, hosts)["kubeadm_documents"]
    assert set(docs) == {h.name for h in hosts}
    for name, documents in docs.items():
        for doc in documents:
            assert schema_errors(doc) == [], (name, doc["kind"])


def test_homelab_first_control_plane_inits_and_the_others_join():
    cfg = config("homelab")
    hosts = planned_hosts(cfg)
    variables = kubeadm_vars(cfg, hosts)
    first = init_host(hosts)
    assert variables["kubeadm_init_host"] == first.name
    kinds = {name: [d["kind"] for d in docs] for name, docs in variables["kubeadm_documents"].items()}
    assert kinds.pop(first.name) == ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]
    assert set(map(tuple, kinds.values())) == {("JoinConfiguration",)}
    cluster = variables["kubeadm_documents"][first.name][1]
    assert cluster["kubernetesVersion"] == "v" + cfg.kubernetes.version.lstrip("v")
    assert cluster["controlPlaneEndpoint"] == f"{cfg.kubernetes.ha.vip}:6443"
    assert cluster["networking"] == {"podSubnet": str(cfg.kubernetes.pod_cidr),
                                     "serviceSubnet": str(cfg.kubernetes.service_cidr),
                                     "dnsDomain": cfg.kubernetes.cluster_domain}
    assert set(cluster["apiServer"]["certSANs"]) == {*cfg.kubernetes.cert_sans, str(cfg.kubernetes.ha.vip)}
    assert variables["kubeadm_upload_certs"] is True
    kubelet = variables["kubeadm_documents"][first.name][2]
    assert kubelet["cgroupDriver"] == "systemd"
    assert kubelet["clusterDNS"] == [str(cfg.kubernetes.service_cidr.network_address + 10)]


def test_kube_vip_manifest_is_a_valid_pod_with_a_pinned_image_and_the_vip():
    cfg = config("homelab")
    variables = kubeadm_vars(cfg, planned_hosts(cfg))
    for key, kubeconfig in (("kube_vip_manifest", "/etc/kubernetes/admin.conf"),
                            ("kube_vip_manifest_bootstrap", "/etc/kubernetes/super-admin.conf")):
        pod = variables[key]
        assert validate_object(pod, cfg.kubernetes.version.lstrip("v"), None) == []
        container = pod["spec"]["containers"][0]
        assert container["image"] == f"ghcr.io/kube-vip/kube-vip:{cfg.kubernetes.ha.kube_vip_version}"
        assert {"name": "address", "value": str(cfg.kubernetes.ha.vip)} in container["env"]
        assert pod["spec"]["volumes"][0]["hostPath"]["path"] == kubeconfig


def test_without_kube_vip_no_manifest_and_a_single_control_plane_uploads_no_certs():
    cfg = config("cloud")
    variables = kubeadm_vars(cfg, planned_hosts(cfg))
    assert "kube_vip_manifest" not in variables
    single = sum(h.role == "control-plane" for h in planned_hosts(cfg)) == 1
    assert variables["kubeadm_upload_certs"] is (not single or cfg.kubernetes.ha.mode != "none")


def test_phase_inputs_put_the_documents_into_the_variables_and_hosts_into_groups():
    cfg = config("onprem")
    hosts = planned_hosts(cfg)
    inventory, variables = phase_inputs(cfg, hosts)
    groups = inventory["all"]["children"]["k8s_cluster"]["children"]
    assert sorted(groups["control_plane"]["hosts"]) == sorted(h.name for h in hosts if h.role == "control-plane")
    assert variables["control_plane_endpoint"] == kc.ClusterSettings.from_config(
        cfg, variables["control_plane_endpoint"], 3).endpoint
    json.dumps(variables)  # everything crosses to Ansible as JSON


def test_retired_hosts_are_only_in_the_retiring_group_and_the_rest_elects_the_init_host():
    """Retiring cp-1 and cp-2 (one control plane stays: an odd etcd) and a GPU worker."""
    cfg = config("onprem", **{"hosts.retire": ["cp-1", "cp-2", "gpu-2"]})
    inventory, variables = phase_inputs(cfg, planned_hosts(cfg))
    children = inventory["all"]["children"]
    groups = children["k8s_cluster"]["children"]
    assert sorted(groups["control_plane"]["hosts"]) == ["cp-3"]
    assert sorted(groups["workers"]["hosts"]) == ["gpu-1", "worker-1", "worker-2"]
    assert sorted(children["etcd"]["hosts"]) == ["cp-3"]
    retiring = children["retiring"]["hosts"]
    assert {name: v["node_role"] for name, v in retiring.items()} == {
        "cp-1": "control-plane", "cp-2": "control-plane", "gpu-2": "worker"}
    assert retiring["cp-1"]["ansible_host"] == "172.20.0.11"  # still reachable, to be reset
    assert variables["kubeadm_init_host"] == "cp-3"
    assert sorted(variables["kubeadm_documents"]) == ["cp-3", "gpu-1", "worker-1", "worker-2"]


def test_restricted_labels_go_through_the_api_and_the_rest_to_the_kubelet():
    kubelet, api = kc.split_labels({"node-role.kubernetes.io/gpu": "", "topology.kubernetes.io/zone": "a",
                                    "example.com/tier": "db", "plain": "x", "node.kubernetes.io/pool": "p"})
    assert api == {"node-role.kubernetes.io/gpu": ""}
    assert kubelet == {"topology.kubernetes.io/zone": "a", "example.com/tier": "db", "plain": "x",
                       "node.kubernetes.io/pool": "p"}


def test_a_cluster_without_control_plane_is_refused():
    worker = HostSpec("w1", "worker", "10.0.0.2", "10.0.0.2", "debian")
    with pytest.raises(ValueError, match="control-plane"):
        kc.node_documents(_settings(), [worker])


def _settings(**kw) -> kc.ClusterSettings:
    base = dict(version="1.36.2", endpoint="10.0.0.10:6443", pod_cidr=IPv4Network("10.244.0.0/16"),
                service_cidr=IPv4Network("10.96.0.0/12"))
    return kc.ClusterSettings(**{**base, **kw})


_label_key = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    st.builds(lambda p, n: f"{p}/{n}", st.sampled_from(["example.com", "node-role.kubernetes.io",
                                                        "node.kubernetes.io", "topology.kubernetes.io"]),
              st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)))
_host = st.builds(
    lambda i, role, labels, taints: HostSpec(
        f"node-{i}", role, f"10.1.0.{i}", f"10.1.0.{i}", "debian", labels=labels,
        taints=tuple(Taint(k, e, v) for k, e, v in taints)),
    st.integers(1, 250), st.sampled_from(["control-plane", "worker"]),
    st.dictionaries(_label_key, st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True), max_size=4),
    st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9.-]{0,10}", fullmatch=True),
                       st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
                       st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True)), max_size=3))


@settings(max_examples=150, deadline=None)
@given(hosts=st.lists(_host, min_size=1, max_size=8, unique_by=lambda h: h.name),
       pod_prefix=st.integers(8, 24), service_base=st.integers(0, 200), port=st.integers(1, 65535),
       sans=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}\.example", fullmatch=True), max_size=3),
       mirror=st.sampled_from([None, "registry.local:5000/k8s"]))
def test_random_valid_inputs_render_schema_valid_documents(hosts, pod_prefix, service_base, port, sans, mirror):
    hosts = [replace(hosts[0], role="control-plane"), *hosts[1:]]
    s = _settings(endpoint=f"10.0.0.10:{port}", pod_cidr=IPv4Network(f"10.0.0.0/{pod_prefix}"),
                  service_cidr=IPv4Network(f"172.{16 + service_base % 16}.0.0/16"),
                  cert_sans=tuple(sans), image_repository=mirror,
                  ha=sum(h.role == "control-plane" for h in hosts) > 1)
    docs = kc.node_documents(s, hosts)
    inits = [n for n, d in docs.items() if d[0]["kind"] == "InitConfiguration"]
    assert len(inits) == 1 and docs[inits[0]][1]["controlPlaneEndpoint"] == s.endpoint
    for host in hosts:
        registration = docs[host.name][0]["nodeRegistration"]
        assert registration["name"] == host.name
        cp_taint = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
        assert (cp_taint in registration["taints"]) == (host.role == "control-plane" or
                                                        any(t.key == cp_taint["key"] for t in host.taints))
        for doc in docs[host.name]:
            assert schema_errors(doc) == []
        if host.name not in inits:
            # with this run's credentials, exactly what the join role writes
            joined = kc.join_configuration(s, host, token=TOKEN, ca_cert_hash=CA_HASH,
                                           certificate_key=CERT_KEY if host.role == "control-plane" else None)
            assert schema_errors(joined) == []
            assert joined["discovery"]["bootstrapToken"]["apiServerEndpoint"] == s.endpoint
        kubelet_labels, api = kc.split_labels(host.labels)
        assert {**kubelet_labels, **api} == host.labels


def test_the_schema_rejects_unknown_and_misspelt_fields():
    s = _settings()
    host = HostSpec("cp", "control-plane", "10.0.0.1", "10.0.0.1", "debian")
    doc = kc.cluster_configuration(s)
    assert schema_errors({**doc, "podSubnet": "10.0.0.0/8"})  # belongs under networking
    assert schema_errors({**kc.init_configuration(s, host), "apiVersion": "kubeadm.k8s.io/v1beta3"})
    assert schema_errors({**kc.kubelet_configuration(s), "cgroupDriver": "system"})
    assert schema_errors(kc.join_configuration(s, host, token="not-a-token", ca_cert_hash=CA_HASH))
    assert IPv4Address(kc.cluster_dns_ip(s.service_cidr)) == IPv4Address("10.96.0.10")


def test_without_vip_or_endpoint_the_endpoint_is_the_resolved_first_control_plane():
    from components.plan.provisioning.phases import phase_inputs
    cfg = config("cloud")
    assert cfg.kubernetes.control_plane_endpoint is None and cfg.kubernetes.ha.vip is None
    hosts = planned_hosts(cfg)
    _, variables = phase_inputs(cfg, hosts)
    first = init_host(hosts)
    assert variables["control_plane_endpoint"] == f"{first.internal_address}:6443"
    assert KNOWN_AFTER_APPLY not in json.dumps(variables)
    cluster = variables["kubeadm_documents"][first.name][1]
    assert cluster["controlPlaneEndpoint"] == variables["control_plane_endpoint"]
