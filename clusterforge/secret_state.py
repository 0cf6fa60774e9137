"""Which secret config values a stack sets, as fingerprints of their ciphertext.

A render cannot decrypt secrets, so every secret reads `[secret]` and a changed secret
would look unchanged. The ciphertext in the stack file changes whenever the value is
set again (`pulumi config set --secret`); its digest (never the value, which offline is
unknown anyway) lets `diff` say that a secret changed without showing anything of it.
"""
from __future__ import annotations

import hashlib

from clusterforge.stackfile import NAMESPACE, StackFile
from components.config.input_files import InputFileError, read_yaml_file

UNSET = "unset"


def secret_state(stack: StackFile) -> dict[str, str]:
    """Secret config key -> `sha256:<16 hex>` of its ciphertext, or `unset` (a placeholder)."""
    try:
        config = (read_yaml_file(stack.path) or {}).get("config") or {}
    except (OSError, InputFileError):
        config = {}
    ciphertexts = {}
    for key, value in config.items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            ciphertexts[full] = hashlib.sha256(str(value["secure"]).encode()).hexdigest()[:16]
    return {key: f"sha256:{ciphertexts[key]}" if key in ciphertexts else UNSET
            for key in sorted(stack.secret_keys | set(ciphertexts))}
