"""The kubeadm playbooks run for real over SSH on test hosts, against TEST DOUBLES of
kubeadm and kubectl (tests/kubeadm/doubles/) that record their calls and configs and print
what the real tools print. Hosts: cp-1 (init), cp-2 (extra control plane), wk-1 (worker)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from components.provisioning.runner import run_playbook
from tests.kubeadm.cluster import VIP, cluster_inputs, install_doubles, recorded_calls

ROLES = {"cp-1": "control-plane", "cp-2": "control-plane", "wk-1": "worker"}


@pytest.fixture(scope="module")
def cluster(testbed_factory):
    bed = testbed_factory(3, names=list(ROLES))
    install_doubles(bed)
    inventory, variables = cluster_inputs(bed, ROLES, "1.36.2",
                                          labels={"wk-1": {"node-role.kubernetes.io/worker": "", "tier": "web"}})
    return bed, inventory, variables


def run(cluster, phase, **extra):
    bed, inventory, variables = cluster
    return run_playbook(phase, inventory, {**variables, **extra}, ssh_key=bed.private_key, progress=None)


def calls(bed, name, tool=None):
    return recorded_calls(bed, [name], tool)


def test_control_plane_writes_the_rendered_config_and_inits_once_with_upload_certs(cluster):
    bed, _, variables = cluster
    result = run(cluster, "control-plane")
    assert result.ok, result.summary()["failures"]
    on_host = list(yaml.safe_load_all((bed.host("cp-1").root / "etc/kubernetes/kubeadm-config.yaml").read_text()))
    assert on_host == variables["kubeadm_documents"]["cp-1"]
    inits = [c for c in calls(bed, "cp-1", "kubeadm") if c["args"][0] == "init"]
    assert [c["args"] for c in inits] == [["init", "--config", "/etc/kubernetes/kubeadm-config.yaml", "--skip-token-print",
                                           "--skip-certificate-key-print", "--upload-certs"]]
    # init prints no join secret (the double prints them unless told not to), so none is logged
    events = json.dumps(result.events)
    assert "0123456789abcdef" not in events and "f" * 32 + "e" * 32 not in events
    pod = yaml.safe_load((bed.host("cp-1").root / "etc/kubernetes/manifests/kube-vip.yaml").read_text())
    assert pod == variables["kube_vip_manifest"]  # switched back to admin.conf after init
    assert calls(bed, "cp-2") == [] and calls(bed, "wk-1") == []


def test_join_takes_fresh_credentials_and_joins_control_plane_and_worker(cluster):
    bed, _, _ = cluster
    result = run(cluster, "join")
    assert result.ok, result.summary()["failures"]
    first = [c["args"][:3] for c in calls(bed, "cp-1", "kubeadm")]
    assert ["token", "create", "--ttl"] in first and ["init", "phase", "upload-certs"] in first
    for name, control_plane in (("cp-2", True), ("wk-1", False)):
        (join,) = [c for c in calls(bed, name, "kubeadm") if c["args"][0] == "join"]
        config = yaml.safe_load(join["config"])
        assert config["discovery"]["bootstrapToken"] == {
            "token": "abcdef.0123456789abcdef", "apiServerEndpoint": f"{VIP}:6443",
            "caCertHashes": ["sha256:" + "c0ffee" * 10 + "abcd"]}
        assert ("certificateKey" in config.get("controlPlane", {})) is control_plane
        assert config["nodeRegistration"]["name"] == name
        assert not (bed.host(name).root / "etc/kubernetes/kubeadm-join.yaml").exists()  # the token is gone
    # labels and taints of joined nodes are node-config's (tests/kubeadm/test_node_config.py)
    assert not [c for c in calls(bed, "cp-1", "kubectl") if "label" in c["args"]]
    # no_log: neither the token nor the certificate key reaches any runner event
    events = json.dumps(result.events)
    assert "0123456789abcdef" not in events and "f" * 32 + "e" * 32 not in events


def test_second_runs_change_nothing_and_call_neither_init_nor_join(cluster):
    bed, _, _ = cluster
    before = {name: len(calls(bed, name)) for name in ROLES}
    for phase in ("control-plane", "join"):
        result = run(cluster, phase)
        assert result.ok and result.changed == 0, result.summary()
    new = [c for name in ROLES for c in calls(bed, name)[before[name]:]]
    assert not [c for c in new if c["args"][0] in ("init", "join", "token")], new


def test_kubeconfig_is_handed_over_with_the_server_rewritten(cluster, tmp_path, monkeypatch):
    out = tmp_path / "kubeconfig"
    monkeypatch.setenv("CLUSTERFORGE_KUBECONFIG_OUT", str(out))
    result = run(cluster, "kubeconfig")
    assert result.ok, result.summary()["failures"]
    config = yaml.safe_load(out.read_text())
    assert config["clusters"][0]["cluster"]["server"] == f"https://{VIP}:6443"
    assert out.stat().st_mode & 0o777 == 0o600


def test_kubeconfig_names_the_client_endpoint_when_clients_reach_the_api_elsewhere(cluster, tmp_path, monkeypatch):
    # A cloud control plane: nodes use its private address, kubectl its Elastic IP.
    out = tmp_path / "kubeconfig"
    monkeypatch.setenv("CLUSTERFORGE_KUBECONFIG_OUT", str(out))
    result = run(cluster, "kubeconfig", client_endpoint="203.0.113.7:6443")
    assert result.ok, result.summary()["failures"]
    assert yaml.safe_load(out.read_text())["clusters"][0]["cluster"]["server"] == "https://203.0.113.7:6443"


def test_upgrade_refuses_to_skip_a_minor_version(cluster):
    bed, _, _ = cluster
    (bed.host("cp-1").root / "var/lib/fake-kube/server-version").write_text("1.34.3\n")
    try:
        result = run(cluster, "upgrade", kubernetes_version="1.36.2")
    finally:
        (bed.host("cp-1").root / "var/lib/fake-kube/server-version").unlink()
    assert not result.ok
    (failure,) = result.failures
    assert failure.host == "cp-1"
    assert "one minor version at a time" in failure.message and "1.35.x first" in failure.message
    assert not [c for c in calls(bed, "cp-1", "kubeadm") if c["args"][0] == "upgrade"]


def test_remove_node_drains_deletes_drops_the_etcd_member_and_resets(cluster):
    bed, _, _ = cluster
    members = [{"ID": 1234567, "name": "cp-1"}, {"ID": 7654321, "name": "cp-2"}]
    (bed.host("cp-1").root / "var/lib/fake-kube/etcd-members.json").write_text(json.dumps(members))
    result = run(cluster, "remove-node", remove_node="cp-2")
    assert result.ok, result.summary()["failures"]
    kubectl = [c["args"] for c in calls(bed, "cp-1", "kubectl")]
    drain = next(i for i, a in enumerate(kubectl) if "drain" in a and "cp-2" in a)
    delete = next(i for i, a in enumerate(kubectl) if a[2:5] == ["delete", "node", "cp-2"])
    remove = next(i for i, a in enumerate(kubectl) if "remove" in a)
    assert drain < delete < remove
    assert kubectl[remove][-3:] == ["member", "remove", "%x" % 7654321]
    assert [c["args"][:2] for c in calls(bed, "cp-2", "kubeadm")][-1] == ["reset", "--force"]
    assert not (bed.host("cp-2").root / "etc/kubernetes/kubelet.conf").exists()


def test_a_drain_that_times_out_names_the_blocking_pod_and_pdb(cluster, tmp_path):
    """The upgrade's drain step (roles/kubeadm_upgrade/tasks/drain.yml) run on its own: a
    throwaway playbook next to a link to the real roles, so no package upgrade is needed."""
    bed, inventory, variables = cluster
    (tmp_path / "roles").symlink_to(kc_roles())
    shutil.copy(kc_roles().parent / "ansible.cfg", tmp_path / "ansible.cfg")
    (tmp_path / "drain-only.yml").write_text(yaml.safe_dump([{
        "name": "Drain workers as the upgrade does", "hosts": "workers", "become": True, "gather_facts": False,
        "tasks": [{"name": "Drain", "ansible.builtin.include_role": {"name": "kubeadm_upgrade",
                                                                     "tasks_from": "drain"}}]}]))
    state = bed.host("cp-1").root / "var/lib/fake-kube/drain-blocked.json"
    state.write_text(json.dumps({"pod": "shop/web-0", "pdb": "shop/web"}))
    try:
        result = run_playbook("drain-only", inventory, {**variables, "provisioning_drain_timeout_seconds": 7},
                              ssh_key=bed.private_key, progress=None, playbooks=tmp_path)
    finally:
        state.unlink()
    assert not result.ok
    # the runner lists the rescued drain command too; the play's verdict is the rescue's message
    (failure,) = [f for f in result.failures if f.task == "Name what blocks the drain"]
    assert failure.host == "wk-1"
    assert "drain of wk-1 did not finish within 7s" in failure.message
    assert 'pods/"web-0" -n "shop"' in failure.message and "shop/web" in failure.message
    drains = [c["args"] for c in calls(bed, "cp-1", "kubectl") if "drain" in c["args"]]
    assert drains[-1][-4:] == ["wk-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=7s"]


def kc_roles() -> Path:
    from components.plan.provisioning.tree_hash import PLAYBOOKS_DIR
    return PLAYBOOKS_DIR / "roles"


def test_authentication_writes_the_file_and_gives_running_api_servers_the_flag_once(cluster):
    """SSO's authentication phase on a cluster built without it: the rendered
    AuthenticationConfiguration lands where the kubeadm documents point the API server, on both
    control planes and not the worker; each running API server is rewritten with the flag (one
    node at a time) and the cluster's kubeadm configuration keeps it; a second run changes
    nothing, a new text (a renewed CA) is written in place without touching the API server."""
    from ipaddress import IPv4Network

    from components.plan.provisioning import kubeadm_config as kc
    from components.plan.sso import AUTHN_FILE, authentication_configuration
    from tests.kubeadm.cluster import testbed

    bed, inventory, variables = cluster
    for phase in ("control-plane", "join"):  # a running cluster (no-ops if earlier tests built it)
        assert run(cluster, phase).ok
    specs = [s for s in testbed.testbed_host_specs(bed, ROLES) if s.name in ROLES]
    first_docs = variables["kubeadm_documents"]["cp-1"]
    cluster_doc = next(d for d in first_docs if d["kind"] == "ClusterConfiguration")
    settings = kc.ClusterSettings(version="1.36.2", endpoint=cluster_doc["controlPlaneEndpoint"],
                                  pod_cidr=IPv4Network("10.244.0.0/16"), service_cidr=IPv4Network("10.96.0.0/12"),
                                  cert_sans=tuple(cluster_doc["apiServer"]["certSANs"]), ha=True, sso=True)
    docs = kc.node_documents(settings, specs)
    text = yaml.safe_dump(authentication_configuration("https://gw.test/dex", "-----BEGIN CERTIFICATE-----\nMIIB\n"
                                                                                 "-----END CERTIFICATE-----\n"))
    inputs = {"apiserver_authentication_config": text, "apiserver_authentication_file": AUTHN_FILE,
              "kubeadm_documents": docs}
    before = {name: len(calls(bed, name, "kubeadm")) for name in ROLES}
    result = run(cluster, "authentication", **inputs)
    assert result.ok, result.summary()["failures"]
    flag = f"--authentication-config={AUTHN_FILE}"
    for name in ("cp-1", "cp-2"):
        root = bed.host(name).root
        path = root / AUTHN_FILE.lstrip("/")
        assert path.read_text() == text and oct(path.stat().st_mode & 0o777) == "0o644"
        assert flag in (root / "etc/kubernetes/manifests/kube-apiserver.yaml").read_text()
        new = [c["args"] for c in calls(bed, name, "kubeadm")[before[name]:]]
        assert ["init", "phase", "control-plane", "apiserver"] == new[0][:4]
        assert (["init", "phase", "upload-config", "kubeadm"] in [a[:4] for a in new]) == (name == "cp-1")
        assert not (root / "etc/kubernetes/kubeadm-authentication.yaml").exists()
    assert not (bed.host("wk-1").root / AUTHN_FILE.lstrip("/")).exists()
    settled = {name: len(calls(bed, name, "kubeadm")) for name in ROLES}
    again = run(cluster, "authentication", **inputs)
    assert again.ok and again.changed == 0, again.summary()
    renewed = text.replace("MIIB", "MIIC")
    assert run(cluster, "authentication", **{**inputs, "apiserver_authentication_config": renewed}).ok
    assert (bed.host("cp-2").root / AUTHN_FILE.lstrip("/")).read_text() == renewed
    assert not [c for name in ROLES for c in calls(bed, name, "kubeadm")[settled[name]:]]
    missing = run(cluster, "authentication", apiserver_authentication_file=AUTHN_FILE, kubeadm_documents=docs)
    assert not missing.ok  # the role's argument spec: no file without its text
