"""Secrets and key material: never in plain text, and each what it claims to be.

Key material is parsed with the `cryptography` package (OpenSSH's own formats): a
public key in `hosts.ssh.publicKeys` must load as one, the SSH private key secret must
load without a passphrase (Ansible cannot type one) and, when public keys are listed,
match one of them, since those are what the machines let in. The Proxmox API token must
have the provider's `user@realm!tokenid=uuid` shape.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from pydantic import AfterValidator

from components.config.base import NAMESPACE, Finding
from components.config.k8s_names import invalid

# What an offline render hands the program for a secret it cannot decrypt; not key material.
SECRET_PLACEHOLDER = "[secret]"
# The default secret key names; a stack may rename them (hosts.ssh.privateKeySecret, ...).
SSH_PRIVATE_KEY = "sshPrivateKey"
PROXMOX_API_TOKEN = "proxmoxApiToken"
# Grafana's admin password has no default key (unset: the program generates one).
GRAFANA_ADMIN_PASSWORD = "grafanaAdminPassword"
_TOKEN = re.compile(r"[^\s@!=]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*="
                    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PRIVATE_MARK = "PRIVATE KEY-----"
# How each secret is set, for the fix text: the SSH key from its file, others as a value.
_SET_FROM = {SSH_PRIVATE_KEY: "< ~/.ssh/clusterforge_ed25519", PROXMOX_API_TOKEN: "'user@realm!tokenid=<uuid>'",
             GRAFANA_ADMIN_PASSWORD: "'<password>'"}
# Provider credentials users put in stack files; the program's providers get theirs from the
# environment, but a plain value here still lands in the repository.
FOREIGN_SECRETS = frozenset({"aws:accessKey", "aws:secretKey", "aws:token", "proxmoxve:apiToken",
                             "proxmoxve:password", "proxmoxve:username", "kubernetes:kubeconfig"})


def set_secret_command(key: str, how: str | None = None) -> str:
    """The exact command that stores `key` (full or ours) as an encrypted secret."""
    full = key if ":" in key else f"{NAMESPACE}:{key}"
    return f"pulumi config set --secret {full} {how or _SET_FROM.get(key, '<value>')}"


def public_key_errors(text: str) -> list[str]:
    if _PRIVATE_MARK in text:
        return ["this is a PRIVATE key; it must never be in the stack file"]
    try:
        serialization.load_ssh_public_key(text.strip().encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        return [f"not an OpenSSH public key ({err})"]
    return []


def _public_key(text: str) -> str:
    errs = public_key_errors(text)
    if errs:
        shown = "a private key" if _PRIVATE_MARK in text else repr(text[:40] + ("…" if len(text) > 40 else ""))
        raise invalid(f"{shown}: {errs[0]}",
                      "paste one line of the .pub file (ssh-ed25519 AAAA... comment); keep private keys in "
                      f"the secret: {set_secret_command(SSH_PRIVATE_KEY)}")
    return text


SshPublicKey = Annotated[str, AfterValidator(_public_key)]


def _key_blob(openssh_line: str) -> str:
    """`type base64` of a public key line, without the comment."""
    return " ".join(openssh_line.split()[:2])


def private_key_findings(key: str, value: str, public_keys: list[str]) -> list[Finding]:
    """The SSH private key secret parses, has no passphrase, and matches a listed public key."""
    data = value.strip().encode() + b"\n"
    try:
        try:
            private = serialization.load_ssh_private_key(data, password=None)
        except ValueError:
            private = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        return [Finding(key, "the SSH private key has a passphrase, which Ansible cannot type",
                        f"store a key without one: {set_secret_command(key)}")]
    except (ValueError, UnsupportedAlgorithm) as err:
        return [Finding(key, f"the secret is not an SSH private key ({str(err).splitlines()[0]})",
                        f"store the key file itself: {set_secret_command(key)}")]
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    if public_keys and _key_blob(public) not in {_key_blob(p) for p in public_keys}:
        return [Finding(key, f"the SSH private key ({public.split()[0]}) matches none of hosts.ssh.publicKeys",
                        "add its public key (ssh-keygen -y -f KEY) to hosts.ssh.publicKeys, or store the "
                        f"matching private key: {set_secret_command(key)}")]
    return []


def proxmox_token_findings(key: str, value: str) -> list[Finding]:
    if _TOKEN.fullmatch(value.strip()):
        return []
    return [Finding(key, "the Proxmox API token is not of the form user@realm!tokenid=uuid",
                    f"copy the whole token from Datacenter > Permissions > API Tokens: "
                    f"{set_secret_command(key, _SET_FROM[PROXMOX_API_TOKEN])}")]


def secret_material_findings(cfg, secrets: Mapping[str, Any]) -> list[Finding]:
    """Check the secret values the program got (only inside a Pulumi run: offline they are
    encrypted). The values never appear in a finding."""
    findings: list[Finding] = []
    secrets = {k: v for k, v in secrets.items() if v != SECRET_PLACEHOLDER}
    ssh = cfg.hosts.ssh
    if cfg.uses_kubeadm and isinstance(secrets.get(ssh.private_key_secret), str):
        findings += private_key_findings(ssh.private_key_secret, secrets[ssh.private_key_secret],
                                         list(ssh.public_keys))
    px = cfg.hosts.proxmox
    if cfg.hosts.kind == "proxmox" and px is not None and isinstance(secrets.get(px.api_token_secret), str):
        findings += proxmox_token_findings(px.api_token_secret, secrets[px.api_token_secret])
    return findings


def secret_key_names(values: Mapping[str, Any]) -> dict[str, str]:
    """Our secret key names (defaults and the stack's own) -> how to set each, read from the
    raw, not yet validated `hosts` values so a plain secret is named even in a broken config."""
    hosts = values.get("hosts") if isinstance(values.get("hosts"), dict) else {}
    ssh = hosts.get("ssh") if isinstance(hosts.get("ssh"), dict) else {}
    proxmox = hosts.get("proxmox") if isinstance(hosts.get("proxmox"), dict) else {}
    addons = values.get("addons") if isinstance(values.get("addons"), dict) else {}
    prometheus = addons.get("prometheus") if isinstance(addons.get("prometheus"), dict) else {}
    names = {SSH_PRIVATE_KEY: SSH_PRIVATE_KEY, PROXMOX_API_TOKEN: PROXMOX_API_TOKEN}
    for given, default in ((ssh.get("privateKeySecret"), SSH_PRIVATE_KEY),
                           (proxmox.get("apiTokenSecret"), PROXMOX_API_TOKEN),
                           (prometheus.get("adminPasswordSecret"), GRAFANA_ADMIN_PASSWORD)):
        if isinstance(given, str):
            names[given] = default
    return names


def plain_secret_findings(values: Mapping[str, Any], secret_keys: set[str]) -> list[Finding]:
    """Secrets written in plain text: ours (full keys `clusterforge:...`) and provider credentials."""
    prefix = NAMESPACE + ":"
    ours = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
    findings = []
    for name, kind in sorted(secret_key_names(ours).items()):
        if name in ours and prefix + name not in secret_keys:
            findings.append(Finding(name, "this secret is in plain text in the stack file",
                                    f"remove the plain value and run: {set_secret_command(name, _SET_FROM[kind])}"))
    for key in sorted(FOREIGN_SECRETS & set(values)):
        if key not in secret_keys:
            findings.append(Finding(key, f"{key} is a credential in plain text in the stack file",
                                    f"remove it and run: {set_secret_command(key)} (or use the provider's "
                                    "environment variables)"))
    return findings
