"""Real OpenSSH key pairs for tests: the program checks a secret key is a private key of a
listed public key, so stand-in strings no longer pass."""
from __future__ import annotations


def ssh_key_pair() -> tuple[str, str]:
    """(private key in OpenSSH PEM, public key line), freshly generated (ed25519)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public
