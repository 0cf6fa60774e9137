"""The test hosts themselves: mirror discovery, package building, SSH, isolation, clean teardown."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.testbed.aptrepo import build_deb
from tests.testbed.rootfs import debian_mirror


def test_mirror_found_in_deb822_and_one_line_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm\n")
    assert debian_mirror(tmp_path) == "http://deb.example/debian"
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://mirror.example/debian bookworm main\n")
    assert debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_fake_package_contents_are_pluggable(tmp_path):
    deb = build_deb(tmp_path, "kubeadm", "1.36.2-1.1", {"/usr/bin/kubeadm": "#!/bin/sh\necho fake\n",
                                                        "/etc/fake.conf": "x=1\n"})
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    modes = {line.split()[-1]: line.split()[0] for line in listing.splitlines()}
    assert modes["./usr/bin/kubeadm"] == "-rwxr-xr-x" and modes["./etc/fake.conf"] == "-rw-r--r--"
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version"], check=True, capture_output=True,
                            text=True).stdout
    assert fields.split() == ["Package:", "kubeadm", "Version:", "1.36.2-1.1"]


def test_hosts_answer_over_ssh_and_leave_nothing_behind(testbed_factory):
    bed = testbed_factory(2, names=["alpha", "beta"])
    alpha, beta = bed.hosts
    whoami = bed.ssh(alpha, "sudo -n id -u; id -un")
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.split() == ["0", "cf"]
    # Each host is its own filesystem and address; hosts reach each other and the mirror.
    (alpha.root / "tmp/only-on-alpha").write_text("a")
    assert not (beta.root / "tmp/only-on-alpha").exists()
    assert bed.ssh(alpha, f"curl -sf {bed.repo.uri}Release").stdout.startswith("Origin: clusterforge-testbed")
    assert bed.ssh(beta, f"bash -c 'echo > /dev/tcp/{alpha.address}/22'").returncode == 0
    bed.set_reachable(beta, False)
    assert bed.ssh(beta, "true").returncode == 255
    bed.set_reachable(beta, True)
    assert bed.ssh(beta, "true").returncode == 0

    netns, links, workdir = {h.netns for h in bed.hosts}, {bed.bridge, *(h.veth for h in bed.hosts)}, bed.dir
    bed.close()
    assert not netns & set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
    assert not links & {p.name for p in Path("/sys/class/net").iterdir()}
    assert str(workdir) not in Path("/proc/mounts").read_text()
    assert not workdir.exists()
