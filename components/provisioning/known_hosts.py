"""Host keys for the runner's SSH connections: checked, never silently off.

Keys come from a known_hosts file: `CLUSTERFORGE_KNOWN_HOSTS`, else `~/.ssh/known_hosts`.
Where the host kind gives the machines' keys, write them there first (the test hosts do);
a host with no entry is trusted on first use: its key is fetched (ssh-keyscan), recorded in
that file and named with its fingerprint on stderr. From then on a changed key fails the run.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO


def known_hosts_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("CLUSTERFORGE_KNOWN_HOSTS") or Path.home() / ".ssh" / "known_hosts")


def _known(path: Path, addresses: list[str]) -> set[str]:
    """Those of `addresses` that `path` has an entry for (plain names read directly; hashed
    entries, as HashKnownHosts writes them, through ssh-keygen -F)."""
    if not path.exists():
        return set()
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    plain = {name for line in lines for name in line.split(" ", 1)[0].split(",")}
    known = {a for a in addresses if a in plain}
    if any(line.startswith("|1|") for line in lines):
        known |= {a for a in addresses if a not in known and subprocess.run(
            ["ssh-keygen", "-F", a, "-f", str(path)], capture_output=True, text=True).stdout.strip()}
    return known


def _fingerprints(lines: str) -> str:
    shown = subprocess.run(["ssh-keygen", "-l", "-f", "-"], input=lines, capture_output=True, text=True)
    return "; ".join(shown.stdout.split("\n")[:-1]) or "?"


def trust_on_first_use(addresses: Iterable[str], path: Path, progress: TextIO | None) -> list[str]:
    """Record the keys of `addresses` that `path` has no entry for; returns those recorded.
    One ssh-keyscan for all of them (it scans in parallel); an unreachable one is not recorded
    (its run reports it)."""
    wanted = sorted(set(addresses))
    known = _known(path, wanted)
    unknown = [a for a in wanted if a not in known]
    if not unknown:
        return []
    scan = subprocess.run(["ssh-keyscan", "-T", "5", "-t", "ed25519,ecdsa,rsa", *unknown],
                          capture_output=True, text=True)
    found: dict[str, list[str]] = {}
    for line in scan.stdout.splitlines():
        if line and not line.startswith("#"):
            found.setdefault(line.split(" ", 1)[0], []).append(line)
    if not found:
        return []
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path, "a") as out:
        for address in sorted(found):
            out.write("".join(f"{line}\n" for line in found[address]))
    if progress is not None:
        for address in sorted(found):
            keys = "".join(line + "\n" for line in found[address])
            progress.write(f"clusterforge: {address}: host key trusted on first use and recorded in {path}: "
                           f"{_fingerprints(keys)}\n")
    return sorted(found)


def record_keys(path: Path, keys: Mapping[str, str]) -> None:
    """Write address -> public key entries (keys the host kind gives), replacing older ones."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if line.split(" ", 1)[0] not in keys]
    path.write_text("".join(f"{line}\n" for line in kept) + "".join(f"{a} {k.strip()}\n" for a, k in sorted(keys.items())))
