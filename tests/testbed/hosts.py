"""Throwaway test hosts: an overlay of the cached Debian rootfs + a network namespace + sshd.

Each host is reachable at its own private address on a bridge this module creates
(10.213.<bed>.0/24, bridge `cfbr<bed>` holding 10.213.<bed>.1); the local apt repository is
served from that bridge address. Ansible reaches the hosts over real SSH as user `cf`, with
passwordless sudo for `become`. Everything is torn down by `Testbed.close()`; nothing else on
the machine is touched. Needs root, `ip`, overlayfs, debootstrap (first build only), dpkg-dev.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clusterforge.progress import steps

from .aptrepo import AptRepo
from .rootfs import TEST_USER, ensure_rootfs

SUBNET_PREFIX = "10.213"
HOST_OFFSET = 10          # host i gets 10.213.<bed>.(10+i)
WORK = Path("/var/tmp/clusterforge-testbed")

_SSHD_CONFIG = """\
# clusterforge test host
ListenAddress {address}
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowUsers {user}
MaxSessions 50
MaxStartups 100
"""


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


@dataclass
class TestHost:
    """One host; `root` is its filesystem seen from outside (for assertions)."""

    __test__ = False  # not a pytest test class

    name: str
    address: str
    netns: str
    veth: str
    root: Path
    sshd: subprocess.Popen | None = None

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command inside the host (its netns + chroot), without SSH."""
        return _run("ip", "netns", "exec", self.netns, "chroot", str(self.root), *cmd, check=check)


@dataclass
class Testbed:
    """N hosts plus the local apt repository; use as a context manager or call close()."""

    __test__ = False

    bed: int
    dir: Path
    bridge: str
    gateway: str
    key_path: Path
    user: str
    repo: AptRepo
    hosts: list[TestHost] = field(default_factory=list)
    _mounts: list[Path] = field(default_factory=list)

    # -- access -------------------------------------------------------------------------
    @property
    def private_key(self) -> str:
        return self.key_path.read_text()

    def host(self, name: str) -> TestHost:
        return next(h for h in self.hosts if h.name == name)

    def ssh(self, host: TestHost, command: str) -> subprocess.CompletedProcess:
        return _run("ssh", "-i", str(self.key_path), "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                    f"{self.user}@{host.address}", command, check=False)

    def set_reachable(self, host: TestHost, reachable: bool) -> None:
        """Bring the host's link up or down (what a crashed or cut-off machine looks like)."""
        _run("ip", "link", "set", host.veth, "up" if reachable else "down")

    # -- lifecycle ----------------------------------------------------------------------
    def close(self) -> None:
        for host in self.hosts:
            if host.sshd is not None and host.sshd.poll() is None:
                host.sshd.terminate()
                try:
                    host.sshd.wait(5)
                except subprocess.TimeoutExpired:
                    host.sshd.kill()
            _run("ip", "link", "del", host.veth, check=False)
            _run("ip", "netns", "del", host.netns, check=False)
        self.repo.stop()
        for mount in reversed(self._mounts):
            _run("umount", "-l", str(mount), check=False)
        _run("ip", "link", "del", self.bridge, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Testbed:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _free_bed() -> int:
    taken = set(os.listdir("/sys/class/net"))
    for bed in range(1, 200):
        if f"cfbr{bed}" not in taken:
            return bed
    raise RuntimeError("no free testbed slot (bridges cfbr1..cfbr199 all exist)")


def _wait_for_ssh(address: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, 22), timeout=1) as conn:
                if conn.recv(4).startswith(b"SSH"):
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"sshd on {address} did not answer")


def create_testbed(count: int, names: list[str] | None = None, kubernetes_version: str = "1.36.2",
                   kube_files: Mapping[str, Mapping[str, str | bytes]] | None = None,
                   kube_scripts: Mapping[str, Mapping[str, str]] | None = None) -> Testbed:
    """Build `count` hosts (named host1.. or `names`) and start the local apt repository.

    `kube_files` replaces the contents of the fake kube packages: {"kubeadm": {"/usr/bin/kubeadm": script}};
    `kube_scripts` gives them maintainer scripts: {"kubelet": {"postinst": script}}.
    """
    if os.geteuid() != 0:
        raise PermissionError("the testbed needs root (network namespaces, overlay mounts, chroot)")
    names = names or [f"host{i + 1}" for i in range(count)]
    rootfs = ensure_rootfs()
    bed = _free_bed()
    WORK.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"bed{bed}-", dir=WORK))
    workdir.chmod(0o700)
    gateway = f"{SUBNET_PREFIX}.{bed}.1"
    bridge = f"cfbr{bed}"
    key_path = workdir / "id_ed25519"
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "clusterforge-testbed", "-f", str(key_path))
    repo = AptRepo(workdir / "repo", gateway)
    testbed = Testbed(bed=bed, dir=workdir, bridge=bridge, gateway=gateway, key_path=key_path,
                      user=TEST_USER, repo=repo)
    try:
        _run("ip", "link", "add", bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{gateway}/24", "dev", bridge)
        _run("ip", "link", "set", bridge, "up")
        repo.add_debs(sorted(rootfs.debs.glob("*.deb")))
        repo.add_kube_packages(kubernetes_version, kube_files, kube_scripts)
        repo.start()
        public_key = Path(f"{key_path}.pub").read_text()
        for i, name in enumerate(steps(names, "testbed: starting test hosts")):
            testbed.hosts.append(_create_host(testbed, rootfs.lower, i, name, public_key))
        deadline = time.monotonic() + 30
        for host in testbed.hosts:
            _wait_for_ssh(host.address, deadline)
        _record_host_keys(testbed)
    except BaseException:
        testbed.close()
        raise
    return testbed


def _record_host_keys(bed: Testbed) -> None:
    """This host kind knows its machines' keys: write them into the known_hosts file the runner
    checks, when one is named (CLUSTERFORGE_KNOWN_HOSTS; tests/conftest.py names one per session),
    replacing the entries of an earlier bed on the same addresses. Never the user's own file."""
    from components.provisioning.known_hosts import known_hosts_file, record_keys

    if os.environ.get("CLUSTERFORGE_KNOWN_HOSTS"):
        keys = {h.address: " ".join((h.root / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()[:2])
                for h in bed.hosts}
        record_keys(known_hosts_file(), keys)


def _create_host(bed: Testbed, lower: Path, index: int, name: str, public_key: str) -> TestHost:
    base = bed.dir / name
    upper, work, root = base / "upper", base / "work", base / "root"
    for d in (upper, work, root):
        d.mkdir(parents=True)
    _run("mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}", str(root))
    bed._mounts.append(root)
    for source, target in (("/proc", "proc"), ("/dev", "dev"), ("/dev/pts", "dev/pts")):
        _run("mount", "--bind", source, str(root / target))
        bed._mounts.append(root / target)
    address = f"{SUBNET_PREFIX}.{bed.bed}.{HOST_OFFSET + index}"
    host = TestHost(name=name, address=address, netns=f"cf{bed.bed}h{index}", veth=f"cf{bed.bed}v{index}", root=root)
    _run("ip", "netns", "add", host.netns)
    _run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
    _run("ip", "link", "set", host.veth, "master", bed.bridge, "up")
    for cmd in (("ip", "link", "set", "lo", "up"), ("ip", "addr", "add", f"{address}/24", "dev", "eth0"),
                ("ip", "link", "set", "eth0", "up"), ("ip", "route", "add", "default", "via", bed.gateway)):
        _run("ip", "netns", "exec", host.netns, *cmd)
    # Per-host identity: host key, authorized key, name resolution for sudo.
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "etc/ssh/ssh_host_ed25519_key"))
    (root / "etc/ssh/sshd_config").write_text(_SSHD_CONFIG.format(address=address, user=bed.user))
    (root / "run/sshd").mkdir(parents=True, exist_ok=True)
    ssh_dir = root / "home" / bed.user / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(public_key)
    host.run("chown", "-R", f"{bed.user}:{bed.user}", f"/home/{bed.user}/.ssh")
    # sshd without PAM refuses keys for a locked ("!") account; "*" means no password, not locked.
    host.run("usermod", "-p", "*", bed.user)
    (root / "etc/hostname").write_text(f"{name}\n")
    (root / "etc/hosts").write_text(f"127.0.0.1 localhost {socket.gethostname()}\n{address} {name}\n")
    host.sshd = subprocess.Popen(["ip", "netns", "exec", host.netns, "chroot", str(root), "/usr/sbin/sshd", "-D", "-e"],
                                 stdout=subprocess.DEVNULL, stderr=open(base / "sshd.log", "wb"))
    return host
