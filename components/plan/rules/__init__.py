"""The one registry of rules that span config sections, in the order they report.

The schema (components/config) checks each section on its own; these rules need more
than one section or the plan (expanded hosts, the addon catalog). Each names the config
paths it reads, so the rule behind a path is one lookup away. `cross_section_findings`
runs them all: every finding at once, so a user fixes a stack in one pass.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from components.config.base import Finding
from components.config.emulation_rules import emulation_findings
from components.config.model import StackConfig
from components.config.provisioning import provisioning_findings
from components.plan.hosts.expand import HostPlan
from components.plan.rules.addons import addons_findings
from components.plan.rules.address_plan import address_plan_findings
from components.plan.rules.algorithms import algorithm_findings
from components.plan.rules.capacity import capacity_findings
from components.plan.rules.chart_schemas import chart_schema_findings
from components.plan.rules.core import core_findings
from components.plan.rules.credentials import credential_findings
from components.plan.rules.embedded import embedded_findings
from components.plan.rules.host_kinds import host_kind_findings
from components.plan.rules.host_os import host_os_findings
from components.plan.rules.kind import kind_findings
from components.plan.rules.kind_config import kind_config_findings
from components.plan.rules.limits import limit_findings
from components.plan.rules.names_plan import names_plan_findings
from components.plan.rules.network import network_findings
from components.plan.rules.ownership import ownership_findings
from components.plan.rules.platforms import platform_findings
from components.plan.rules.references import reference_findings
from components.plan.rules.tenants import tenants_findings
from components.plan.rules.trust import trust_findings
from components.plan.rules.versions import version_findings
from components.plan.stack_plan import build_plan


@dataclass(frozen=True)
class Rule:
    name: str
    paths: tuple[str, ...]  # the config paths it reads (sections or fields)
    check: Callable[[StackConfig, Sequence[HostPlan]], list[Finding]]  # (config, expanded hosts)


def _config_only(check: Callable[[StackConfig], list[Finding]]):
    return lambda cfg, hosts: check(cfg)


def _emulation(cfg: StackConfig) -> list[Finding]:
    # The kind node image against kubernetes.version, then the node groups.
    return kind_findings(cfg) + (emulation_findings(cfg.emulation) if cfg.emulation is not None else [])


RULES: tuple[Rule, ...] = (
    Rule("hosts: pools, addresses, names, quorum, endpoint, Proxmox placement",
         ("hosts", "kubernetes.podCidr", "kubernetes.serviceCidr", "kubernetes.ha",
          "kubernetes.controlPlaneEndpoint", "emulation.nodeGroups"), core_findings),
    Rule("addons: MetalLB pool, secure ingress, chart names, dependencies and packages",
         ("addons", "hosts", "kubernetes"), addons_findings),
    Rule("provisioning: containerd for the Kubernetes minor, the air-gapped mirror",
         ("provisioning", "kubernetes.version"), _config_only(provisioning_findings)),
    Rule("tenants: unique names, namespaces nobody else owns, quotas over the defaults",
         ("tenants", "addons"), _config_only(tenants_findings)),
    Rule("emulation: node groups, the kind node image", ("emulation", "hosts.kindCluster", "kubernetes.version"),
         _config_only(_emulation)),
    Rule("versions: kubeadm's skew, chart kubeVersion ranges", ("kubernetes.version", "addons"),
         _config_only(version_findings)),
    Rule("network arithmetic: service, pod and host ranges", ("kubernetes", "hosts", "addons.calico"),
         network_findings),
    Rule("trust: URLs, keys and mirrors", ("hosts.proxmox", "hosts.kwokCluster", "addons", "provisioning"),
         _config_only(trust_findings)),
    Rule("host kinds: what each kind reads and ignores", ("hosts", "emulation.kwok"),
         _config_only(host_kind_findings)),
    # Classes of mistakes across every section (issue: rules that generalize), one module each.
    Rule("address plan: node-reached addresses and handed-out ranges against every other range",
         ("hosts.network", "kubernetes", "provisioning.timeServers", "addons.metallb"), address_plan_findings),
    Rule("name plan: names resolved outside the cluster stay out of its DNS domain",
         ("kubernetes.clusterDomain", "hosts.network.searchDomain", "kubernetes.controlPlaneEndpoint",
          "addons.istio.gateway.hostnames", "hosts.proxmox.endpoint", "provisioning"), _config_only(names_plan_findings)),
    Rule("limits of derived values: composed host and kind node names, VM ID blocks, EBS volumes",
         ("hosts", "hosts.kindCluster"), _config_only(limit_findings)),
    Rule("platforms: AWS instance types' GPUs, MetalLB's L2 announcements in a VPC",
         ("hosts.aws", "hosts.pools", "hosts.overrides", "addons.metallb"), _config_only(platform_findings)),
    Rule("kind's Cluster config as kind validates it", ("hosts.kindCluster.config", "kubernetes.version"),
         _config_only(kind_config_findings)),
    Rule("capacity: kubeadm's control-plane minimums, requests that must fit on some node",
         ("hosts", "emulation.nodeGroups", "addons.jupyterhub.profiles", "tenants"), capacity_findings),
    Rule("references: node selectors, Dex $VARs, chart dependency cycles",
         ("addons", "hosts", "emulation.nodeGroups"), reference_findings),
    Rule("ownership: objects Kubernetes itself creates", ("addons.dashboard", "addons.sparkOperator"),
         _config_only(ownership_findings)),
    Rule("embedded languages: OAuth2-Proxy routes as Go's RE2 reads them", ("addons.oauth2Proxy",),
         _config_only(embedded_findings)),
    Rule("host OS: the Debian release of the Proxmox template against the roles' platforms",
         ("hosts.proxmox.template.imageUrl",), _config_only(host_os_findings)),
    Rule("algorithms: SSH key types the hosts' OpenSSH accepts", ("hosts.ssh.publicKeys",),
         _config_only(algorithm_findings)),
    Rule("chart values: each package's values.schema.json, as Helm validates them (packages on disk)",
         ("addons",), _config_only(chart_schema_findings)),
    Rule("credentials: none in plain text in chart values, connectors, kind's config",
         ("addons", "hosts.kindCluster"), _config_only(credential_findings)),
)


def _judged(rule: Rule, cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    try:
        return rule.check(cfg, hosts)
    except Exception as err:  # noqa: BLE001 (a value a rule cannot judge is one finding, never a traceback)
        return [Finding(rule.paths[0], f"could not be checked ({rule.name}: {type(err).__name__}: {err})",
                        "fix the other findings first; if there are none, this is a clusterforge bug to report")]


def cross_section_findings(cfg: StackConfig) -> list[Finding]:
    hosts = build_plan(cfg).host_plans  # expanded once for every rule
    return [finding for rule in RULES for finding in _judged(rule, cfg, hosts)]
