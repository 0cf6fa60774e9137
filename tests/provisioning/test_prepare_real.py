"""Layer 4: the `prepare` playbook run for real, over SSH, against three throwaway hosts.

The tests in this module share one testbed and run in order: converge, no-op rerun, drift +
an unreachable host mid-run, recovery.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import yaml

from components.provisioning.runner import run_playbook
from tests.testbed.aptrepo import K8S_DEB_REVISION
from tests.testbed.inventory import testbed_inventory

KUBE = ["kubeadm", "kubectl", "kubelet"]


@pytest.fixture(scope="module")
def inventory(testbed3):
    return testbed_inventory(testbed3)


@pytest.fixture(scope="module")
def first_run(testbed3, inventory):
    return run_playbook("prepare", inventory, ssh_key=testbed3.private_key, progress=None)


def _changed_tasks(result) -> list[tuple[str, str]]:
    return [(e["event_data"]["host"], e["event_data"]["task"]) for e in result.events
            if e.get("event") == "runner_on_ok" and (e["event_data"].get("res") or {}).get("changed")]


def test_first_run_converges_every_host(testbed3, first_run):
    assert first_run.ok, [str(f) for f in first_run.failures]
    assert sorted(first_run.hosts) == ["host1", "host2", "host3"]
    assert all(c["changed"] > 0 and c["failed"] == 0 for c in first_run.hosts.values())
    for host in testbed3.hosts:
        config = (host.root / "etc/containerd/config.toml").read_text()
        assert "SystemdCgroup = true" in config
        assert (host.root / "etc/modules-load.d/clusterforge.conf").read_text().split()[-2:] == ["overlay", "br_netfilter"]
        assert "net.ipv4.ip_forward = 1" in (host.root / "etc/sysctl.d/99-clusterforge.conf").read_text()
        assert f"server {testbed3.gateway} iburst" in (host.root / "etc/chrony/sources.d/clusterforge.sources").read_text()


def test_packages_come_from_the_local_mirror_pinned_and_held(testbed3, first_run):
    assert first_run.ok
    for host in testbed3.hosts:
        sources = sorted(p.name for p in (host.root / "etc/apt/sources.list.d").iterdir())
        assert sources == ["clusterforge-mirror.sources"]
        assert f"URIs: {testbed3.repo.uri}" in (host.root / "etc/apt/sources.list.d" / sources[0]).read_text()
        versions = host.run("dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\\n", *KUBE).stdout.splitlines()
        assert versions == [f"{name} 1.36.2-{K8S_DEB_REVISION} hold ok installed" for name in KUBE]
        assert host.run("apt-mark", "showhold").stdout.split() == KUBE
        # Debian's real containerd and runc, as served by the mirror.
        policy = host.run("apt-cache", "policy", "containerd").stdout
        assert "Installed: 1.6.20" in policy and f"{testbed3.repo.uri.rstrip('/')} ./ Packages" in policy
        assert host.run("kubeadm").stdout.startswith("kubeadm v1.36.2")


def test_second_run_changes_nothing(testbed3, inventory, first_run):
    assert first_run.ok
    second = run_playbook("prepare", inventory, ssh_key=testbed3.private_key, progress=None)
    assert second.ok, [str(f) for f in second.failures]
    assert {h: c["changed"] for h, c in second.hosts.items()} == {"host1": 0, "host2": 0, "host3": 0}
    assert _changed_tasks(second) == []


def test_unreachable_host_is_named_and_the_next_run_converges(testbed3, inventory, first_run):
    assert first_run.ok
    host3 = testbed3.host("host3")
    (host3.root / "etc/sysctl.d/99-clusterforge.conf").unlink()  # drift the recovery run must repair
    env = {**os.environ, "CLUSTERFORGE_INVENTORY": json.dumps(inventory),
           "CLUSTERFORGE_SSH_KEY": testbed3.private_key}
    cli = subprocess.Popen([sys.executable, "-m", "components.provisioning.runner", "prepare"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert testbed3.private_key not in " ".join(cli.args)
    stdout_lines: list[str] = []
    reader = threading.Thread(target=lambda: stdout_lines.extend(cli.stdout), daemon=True)
    reader.start()
    progress = []
    try:
        for line in cli.stderr:   # streamed as tasks finish
            progress.append(line.rstrip())
            if line.startswith("[ok] host3 | Keep swap off") or line.startswith("[changed] host3 | Keep swap off"):
                testbed3.set_reachable(host3, False)   # mid-run: a few roles still to go
        assert cli.wait(120) == 1
    finally:
        testbed3.set_reachable(host3, True)
    reader.join(10)
    summary = json.loads(stdout_lines[-1])
    assert summary["ok"] is False
    assert summary["hosts"]["host3"]["unreachable"] == 1
    assert summary["hosts"]["host1"]["failed"] == summary["hosts"]["host2"]["failed"] == 0
    errors = [line for line in progress if line.startswith("  host3: unreachable at task ")]
    assert errors, progress[-5:]
    assert "failed on 1 host(s)" in "\n".join(progress)

    recovered = run_playbook("prepare", inventory, ssh_key=testbed3.private_key, progress=None)
    assert recovered.ok, [str(f) for f in recovered.failures]
    assert _changed_tasks(recovered) == [
        ("host3", "Persist kernel modules and sysctls for bridged traffic and forwarding")]
    assert (host3.root / "etc/sysctl.d/99-clusterforge.conf").is_file()


def test_the_reachable_preflight_checks_every_host_and_names_a_lost_one(testbed3, inventory):
    ok = run_playbook("reachable", inventory, ssh_key=testbed3.private_key, progress=None)
    assert ok.ok and ok.changed == 0 and sorted(ok.hosts) == ["host1", "host2", "host3"], ok.summary()
    assert all(counts["ok"] == 1 for counts in ok.hosts.values())
    testbed3.set_reachable(testbed3.host("host2"), False)
    try:
        lost = run_playbook("reachable", inventory, ssh_key=testbed3.private_key, progress=None)
    finally:
        testbed3.set_reachable(testbed3.host("host2"), True)
    assert [(f.host, f.unreachable) for f in lost.failures] == [("host2", True)]


def test_render_inventory_loads_in_ansible(testbed3, inventory, tmp_path):
    """The inventory shape is what ansible-inventory itself reads back (groups and host vars)."""
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory))
    graph = json.loads(subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"),
                                       "-i", str(path), "--list"], check=True, capture_output=True, text=True).stdout)
    assert graph["control_plane"]["hosts"] == ["host1"]
    assert sorted(graph["workers"]["hosts"]) == ["host2", "host3"]
    assert graph["etcd"]["hosts"] == ["host1"]
    assert graph["_meta"]["hostvars"]["host2"]["ansible_host"] == testbed3.host("host2").address
