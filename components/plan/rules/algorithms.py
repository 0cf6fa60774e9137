"""Deprecated and removed algorithms, judged by the consumer that would refuse them.

- `hosts.ssh.publicKeys[]` and the SSH private key: OpenSSH's sshd on the hosts.
  DSA (`ssh-dss`) is off by default since OpenSSH 7.0 and no longer built since 9.8
  (Debian 13 ships 10.0), so such a key never logs in; RSA keys shorter than 1024 bits are
  refused by `RequiredRSASize` (OpenSSH 9.1+, default 1024) and 2048 is the least NIST and
  ssh-keygen accept for new keys. Ed25519, ECDSA and security-key (sk-) keys are accepted.
"""
from __future__ import annotations

from collections.abc import Iterator

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from components.config.base import Finding, join_path
from components.config.model import StackConfig

RSA_MIN_BITS = 2048


def _ssh_keys(cfg: StackConfig) -> Iterator[Finding]:
    if not cfg.uses_kubeadm:
        return
    fix = "make a new key: ssh-keygen -t ed25519 -f ~/.ssh/clusterforge_ed25519, and list its .pub here"
    for i, line in enumerate(cfg.hosts.ssh.public_keys):
        path = join_path("hosts", "ssh", "publicKeys", i)
        if line.split()[:1] == ["ssh-dss"]:  # by its type: parsing DSA warns (cryptography drops it)
            yield Finding(path, "a DSA (ssh-dss) key: OpenSSH disabled DSA in 7.0 and removed it in 9.8, so "
                          "the hosts' sshd never accepts it", fix)
            continue
        try:
            key = serialization.load_ssh_public_key(line.strip().encode())
        except Exception:  # noqa: BLE001 (the schema reports keys that do not parse)
            continue
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < RSA_MIN_BITS:
            yield Finding(path, f"an RSA key of {key.key_size} bits: OpenSSH refuses RSA keys under 1024 bits "
                          f"(RequiredRSASize) and {RSA_MIN_BITS} is the least for a new key", fix)


def algorithm_findings(cfg: StackConfig) -> list[Finding]:
    return list(_ssh_keys(cfg))
