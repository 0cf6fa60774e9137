"""Host keys: recorded from the machines where the host kind gives them, else trusted on first
use and recorded, and a changed key fails the run (never silently off). On test hosts."""
from __future__ import annotations

from components.provisioning.known_hosts import record_keys
from components.provisioning.runner import run_playbook
from tests.testbed.inventory import testbed_inventory


def test_record_keys_replaces_the_entries_of_the_same_addresses(tmp_path):
    path = tmp_path / "known_hosts"
    path.write_text("10.0.0.1 ssh-ed25519 OLD\n10.0.0.2 ssh-ed25519 KEEP\n")
    record_keys(path, {"10.0.0.1": "ssh-ed25519 NEW comment-dropped-by-caller"})
    assert path.read_text().splitlines() == ["10.0.0.2 ssh-ed25519 KEEP", "10.0.0.1 ssh-ed25519 NEW comment-dropped-by-caller"]


def test_an_unknown_host_is_trusted_on_first_use_and_recorded(testbed3, tmp_path, monkeypatch):
    path = tmp_path / "known_hosts"
    monkeypatch.setenv("CLUSTERFORGE_KNOWN_HOSTS", str(path))
    result = run_playbook("reachable", testbed_inventory(testbed3), ssh_key=testbed3.private_key, progress=None)
    assert result.ok, result.failures
    recorded = path.read_text()
    for host in testbed3.hosts:
        key = (host.root / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()[1]
        assert f"{host.address} ssh-ed25519 {key}" in recorded


def test_a_changed_host_key_fails_the_run(testbed3, tmp_path, monkeypatch):
    path = tmp_path / "known_hosts"
    other = tmp_path / "other"
    import subprocess
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    first = testbed3.hosts[0]
    record_keys(path, {first.address: " ".join(other.with_suffix(".pub").read_text().split()[:2])})
    monkeypatch.setenv("CLUSTERFORGE_KNOWN_HOSTS", str(path))
    result = run_playbook("reachable", testbed_inventory(testbed3), ssh_key=testbed3.private_key, progress=None)
    assert not result.ok
    assert {f.host for f in result.failures} == {first.name} and all(f.unreachable for f in result.failures)
