"""Load a stack config with every rule: the schema (components/config) and the rules that
span sections (rules/). What the program, the CLI and the tests call."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from components.config import loader
from components.config.base import Finding
from components.config.model import StackConfig
from components.plan.rules import cross_section_findings
from components.plan.rules.ingress import ingress_secret_keys


def load_stack_config(values: Mapping[str, Any]) -> StackConfig:
    """The non-secret top-level values (keys without the namespace), validated."""
    return loader.load_stack_config(values, cross_section_findings)


def load_stack(values: Mapping[str, Any], secret_keys: Collection[str] = ()) -> StackConfig:
    """A whole stack's config as the engine holds it (full keys, secrets marked), validated."""
    return loader.load_stack(values, secret_keys, cross_section_findings)


def secret_keys_needed(cfg: StackConfig) -> dict[str, str]:
    """Secret config keys this stack needs -> what each is for."""
    needed: dict[str, str] = {}
    if cfg.uses_kubeadm:
        needed[cfg.hosts.ssh.private_key_secret] = "SSH private key Ansible uses to reach the hosts"
    if cfg.hosts.kind == "proxmox" and cfg.hosts.proxmox is not None:
        needed[cfg.hosts.proxmox.api_token_secret] = "Proxmox API token (user@realm!id=uuid)"
    prometheus = cfg.addons.prometheus
    if prometheus.enabled and prometheus.admin_password_secret is not None:
        needed[prometheus.admin_password_secret] = "Grafana admin password"
    needed.update(ingress_secret_keys(cfg))
    return needed


def missing_secret_findings(cfg: StackConfig, present: set[str]) -> list[Finding]:
    return [
        Finding(key, f"the secret '{purpose}' is not set",
                f"run: pulumi config set --secret clusterforge:{key} <value>")
        for key, purpose in sorted(secret_keys_needed(cfg).items())
        if key not in present
    ]
