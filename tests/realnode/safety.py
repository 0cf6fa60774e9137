"""What the real-node tests must leave as they found it: this machine's sysctls, cgroup mounts
and hierarchies, firewall rules (iptables and nft), mounts and network namespaces."""
from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.realnode.node import cgroup_hierarchies

# Counters and random values the kernel changes on its own.
_VOLATILE_PREFIXES = ("fs/dentry-state", "fs/inode-", "fs/file-nr", "fs/aio-nr", "kernel/random/", "kernel/ns_last_pid",
                      "kernel/pty/nr", "fs/quota/", "net/netfilter/nf_conntrack_count", "fs/epoll/",
                      "kernel/sched_", "vm/stat_")


def _sysctls() -> dict[str, str]:
    values = {}
    for path in Path("/proc/sys").rglob("*"):
        key = str(path.relative_to("/proc/sys"))
        if key.startswith(_VOLATILE_PREFIXES) or not path.is_file() or not os.access(path, os.R_OK):
            continue
        try:
            values[key] = path.read_text()
        except OSError:
            continue
    return values


def _mounts() -> list[str]:
    """Mount point, type and source of every mount this process sees (one line each)."""
    lines = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        sep = fields.index("-")
        lines.append(" ".join((fields[4], fields[sep + 1], fields[sep + 2])))
    return sorted(lines)


def _output(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True).stdout


@dataclass
class MachineState:
    sysctls: dict[str, str]
    mounts: list[str]
    cgroups: dict[str, list[str]]  # hierarchy -> its top-level groups
    netns: str
    iptables: str
    nft: str

    @classmethod
    def now(cls) -> MachineState:
        return cls(sysctls=_sysctls(), mounts=_mounts(),
                   cgroups={h.name: sorted(p.name for p in h.iterdir() if p.is_dir()) for h in cgroup_hierarchies()},
                   netns=_output("ip", "netns", "list"),
                   iptables=_strip_comments(_output("iptables-save") + _output("ip6tables-save")),
                   nft=_output("nft", "list", "ruleset"))

    @classmethod
    def settled(cls) -> tuple[MachineState, set[str]]:
        """A snapshot, and the sysctls that changed on their own within a second (left out)."""
        first = cls.now()
        time.sleep(1)
        second = cls.now()
        noisy = {k for k in first.sysctls if first.sysctls[k] != second.sysctls.get(k)}
        return second, noisy

    def differences(self, later: MachineState, noisy: set[str], bed: int) -> list[str]:
        """What changed, leaving out what other test beds (other sessions' `cf<N>...` links,
        namespaces and mounts, N != `bed`) made or removed meanwhile: they are not ours."""
        def theirs(text: str) -> bool:
            return any(int(n) != bed for groups in _BED.findall(text) for n in groups if n)

        out = [f"sysctl {k}: {v.strip()!r} -> {later.sysctls.get(k, '<gone>').strip()!r}"
               for k, v in self.sysctls.items() if k not in noisy and later.sysctls.get(k) != v and not theirs(k)]
        out += [f"mount added: {m}" for m in sorted(set(later.mounts) - set(self.mounts)) if not theirs(m)]
        out += [f"mount removed: {m}" for m in sorted(set(self.mounts) - set(later.mounts)) if not theirs(m)]
        for name in ("cgroups", "iptables", "nft"):
            if getattr(self, name) != getattr(later, name):
                out.append(f"{name} changed: {getattr(self, name)!r} -> {getattr(later, name)!r}")
        for ns in set(self.netns.splitlines()) ^ set(later.netns.splitlines()):
            if not theirs(ns):
                out.append(f"network namespace {'added' if ns in later.netns else 'removed'}: {ns}")
        return out


# A test bed's links (cfbr<N>, cf<N>v<i>), namespaces (cf<N>h<i>) and directory (bed<N>-...).
_BED = re.compile(r"(?<![A-Za-z0-9])(?:cfbr(\d+)|cf(\d+)[hv]\d+|bed(\d+)-)")


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))
