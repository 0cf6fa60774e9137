"""The Debian root filesystem every test host starts from, built once and cached.

`debootstrap` builds it from the Debian mirror this machine's apt already uses; the result is
kept as a tarball under /var/cache/clusterforge/ (keyed by suite and package list) and unpacked
once into a read-only lower directory that each host overlays. The same build downloads the real
Debian .debs the hosts will later install through the air-gapped repository (containerd, chrony
and whatever they pull in that the base lacks), so the hosts never need the internet.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CACHE = Path("/var/cache/clusterforge")
SUITE = "bookworm"
# What a cloud/Proxmox Debian image already has: sshd, python for Ansible, sudo, iproute2.
BASE_PACKAGES = ("openssh-server", "python3", "python3-apt", "sudo", "iproute2", "ca-certificates",
                 "gnupg", "apt-transport-https", "curl", "kmod", "procps")
# Installed later by the `prepare` playbook, from the local repository.
REPO_PACKAGES = ("containerd", "chrony")
TEST_USER = "cf"

# Stops package scripts from starting daemons in a chroot (no systemd runs there).
_POLICY_RC_D = "#!/bin/sh\n# clusterforge test host: never start services from package scripts\nexit 101\n"


@dataclass(frozen=True)
class Rootfs:
    lower: Path       # unpacked, shared read-only by every host's overlay
    debs: Path        # real Debian packages for the local apt repository
    tarball: Path


def debian_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The first Debian (non-security) mirror in this machine's apt sources."""
    files = [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text()
        uris = re.findall(r"^URIs:\s*(\S+)", text, re.M) + re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M)
        for uri in uris:
            if "security" not in uri and "debian" in uri:
                return uri
    raise RuntimeError(f"no Debian mirror found in {sources_dir}/sources.list*; the test hosts need one to debootstrap")


def _key() -> str:
    return hashlib.sha256(" ".join((SUITE, *BASE_PACKAGES, "|", *REPO_PACKAGES, TEST_USER)).encode()).hexdigest()[:12]


def _run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def _build(build: Path, debs: Path, log: Path) -> None:
    if build.exists():
        shutil.rmtree(build)
    with log.open("w") as out:
        _run("debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(build),
             debian_mirror(), stdout=out, stderr=subprocess.STDOUT)
        shutil.copy("/etc/resolv.conf", build / "etc/resolv.conf")
        # Fetch (not install) the packages prepare will install, with exactly the deps the base lacks.
        _run("chroot", str(build), "apt-get", "clean", stdout=out, stderr=subprocess.STDOUT)
        _run("chroot", str(build), "apt-get", "update", stdout=out, stderr=subprocess.STDOUT)
        _run("chroot", str(build), "apt-get", "install", "--download-only", "-y", "--no-install-recommends",
             *REPO_PACKAGES, stdout=out, stderr=subprocess.STDOUT)
    debs.mkdir(parents=True, exist_ok=True)
    for deb in (build / "var/cache/apt/archives").glob("*.deb"):
        shutil.move(str(deb), debs / deb.name)
    # The hosts are air-gapped: no Debian sources, no stale package lists.
    for path in [build / "etc/apt/sources.list", *(build / "etc/apt/sources.list.d").glob("*"),
                 *(build / "var/lib/apt/lists").glob("*_*")]:
        path.unlink(missing_ok=True)
    for key in (build / "etc/ssh").glob("ssh_host_*"):
        key.unlink()  # each host gets its own
    policy = build / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC_D)
    policy.chmod(0o755)
    _run("chroot", str(build), "useradd", "--create-home", "--shell", "/bin/bash", TEST_USER)
    sudoers = build / "etc/sudoers.d" / TEST_USER
    sudoers.write_text(f"{TEST_USER} ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)


def ensure_rootfs(cache: Path = CACHE) -> Rootfs:
    """The cached rootfs (building it with debootstrap the first time, about a minute)."""
    key = _key()
    tarball = cache / f"rootfs-{SUITE}-{key}.tar"
    lower = cache / f"rootfs-{SUITE}-{key}"
    debs = cache / f"debs-{SUITE}-{key}"
    cache.mkdir(parents=True, exist_ok=True)
    if not tarball.exists() or not debs.is_dir():
        build = cache / f"rootfs-build-{key}-{os.getpid()}"  # private: concurrent builders never share it
        log = cache / f"debootstrap-{key}.log"
        print(f"testbed: building the test hosts' Debian {SUITE} rootfs once (about a minute; needs root and "
              f"the network: {debian_mirror()}; log: {log})", file=sys.stderr, flush=True)
        started = time.monotonic()
        _build(build, debs, log)
        print(f"testbed: rootfs built in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        _run("tar", "--numeric-owner", "-C", str(build), "-cf", f"{tarball}.part", ".")
        Path(f"{tarball}.part").rename(tarball)
        if lower.exists():
            shutil.rmtree(lower)
        build.rename(lower)
    if not lower.is_dir():
        partial = Path(f"{lower}.part")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        _run("tar", "--numeric-owner", "-C", str(partial), "-xf", str(tarball))
        partial.rename(lower)
    return Rootfs(lower=lower, debs=debs, tarball=tarball)
