"""The addon rules that look past the addons section: MetalLB's pool against the hosts and
cluster ranges, user chart names against the catalog's releases, chart packages on disk."""
from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address
from pathlib import Path

from components.config.addons import CORE_ADDONS, parse_address_range
from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.addons.catalog import all_addons, enabled_core_addons
from components.plan.hosts.expand import HostPlan
from components.plan.rules.datalab import datalab_findings
from components.plan.rules.ingress import ingress_findings


def _overlaps(a: tuple[IPv4Address, IPv4Address], b: tuple[IPv4Address, IPv4Address]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _metallb_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    mlb = cfg.addons.metallb
    if not mlb.enabled:
        return []
    if not mlb.addresses:
        return [Finding("addons.metallb.addresses", "MetalLB is enabled but has no addresses to hand out",
                        "list ranges (a-b) or CIDRs on the host network that no host or DHCP uses")]
    findings = []
    k = cfg.kubernetes
    host_at = {plan.address: plan.spec.name for plan in hosts if plan.address is not None}
    net = cfg.hosts.network
    parsed: list[tuple[int, tuple[IPv4Address, IPv4Address]]] = []
    for i, text in enumerate(mlb.addresses):
        path = join_path("addons", "metallb", "addresses", i)
        try:
            span = parse_address_range(text)
        except ValueError as exc:
            findings.append(Finding(path, f"{text!r} is not an address range: {exc}",
                                    "write a-b (192.168.10.200-192.168.10.220) or a CIDR (192.168.10.224/28)"))
            continue
        for key, cidr in (("podCidr", k.pod_cidr), ("serviceCidr", k.service_cidr)):
            if _overlaps(span, (cidr.network_address, cidr.broadcast_address)):
                findings.append(Finding(path, f"{text} overlaps the {key} {cidr}",
                                        "hand out addresses from the host network instead"))
        if net is not None and not (span[0] in net.cidr and span[1] in net.cidr):
            findings.append(Finding(path, f"{text} is not inside the host network {net.cidr}",
                                    "L2 announcements only reach the host network; pick addresses in it"))
        taken = sorted(f"{a} ({n})" for a, n in host_at.items() if span[0] <= a <= span[1])
        if net is not None and net.gateway is not None and span[0] <= net.gateway <= span[1]:
            taken.append(f"{net.gateway} (gateway)")
        if k.ha.vip is not None and span[0] <= k.ha.vip <= span[1]:
            taken.append(f"{k.ha.vip} (control-plane VIP)")
        if taken:
            findings.append(Finding(path, f"{text} includes addresses in use: {', '.join(taken)}",
                                    "shrink the range so it skips every host, gateway and VIP"))
        for j, other in parsed:
            if _overlaps(span, other):
                findings.append(Finding(path, f"{text} overlaps addresses[{j}]", "make the ranges disjoint"))
        parsed.append((i, span))
    return findings


def _chart_name_findings(cfg) -> list[Finding]:
    """A user chart's name is its component's and release's identity (their URNs): it may not
    repeat another chart's, a core addon's, or the release name of an enabled core addon."""
    releases = {spec.release: f"addons.{key}" for key, spec in enabled_core_addons(cfg).items()}
    findings = []
    first: dict[str, int] = {}
    for i, chart in enumerate(cfg.addons.charts):
        path = join_path("addons", "charts", i, "name")
        if chart.name in CORE_ADDONS:
            findings.append(Finding(path, f"{chart.name!r} is the name of a core addon; a chart of that "
                                    "name would replace it", f"rename the chart; to change the core addon "
                                    f"set addons.{chart.name}.values or .version"))
        elif chart.name in releases:
            findings.append(Finding(path, f"{chart.name!r} is the release of {releases[chart.name]}",
                                    "rename the chart, or disable that addon"))
        if chart.name in first:
            findings.append(Finding(path, f"{chart.name!r} is also addons.charts[{first[chart.name]}].name",
                                    "give every chart its own name"))
        first.setdefault(chart.name, i)
    return findings


def addons_findings(cfg: StackConfig, hosts: Sequence[HostPlan]) -> list[Finding]:
    findings = _metallb_findings(cfg, hosts)
    # A broken MetalLB pool is reported once, not again as a gateway address outside it.
    findings += ingress_findings(cfg, metallb_valid=not findings)
    findings += _chart_name_findings(cfg)
    findings += datalab_findings(cfg)

    findings += _chart_source_findings(cfg, all_addons(cfg))
    enabled = set(enabled_core_addons(cfg)) | {c.name for c in cfg.addons.charts}
    for i, chart in enumerate(cfg.addons.charts):
        for j, dep in enumerate(chart.depends_on):
            if dep not in enabled:
                findings.append(Finding(join_path("addons", "charts", i, "dependsOn", j),
                                        f"{dep!r} is not an enabled addon or chart",
                                        f"use one of: {', '.join(sorted(enabled)) or 'none enabled'}"))
    return findings


def _chart_source_findings(cfg, specs) -> list[Finding]:
    """A chart directory must hold the exact package of every enabled addon."""
    source = cfg.addons.chart_source
    if source is None or source.directory is None:
        return []
    directory = Path(source.directory)
    if not directory.is_dir():
        return [Finding("addons.chartSource.directory", f"{source.directory} is not a directory",
                        "give the directory that holds the packaged charts (<chart>-<version>.tgz)")]
    missing = sorted(f"{spec.chart}-{spec.version}.tgz" for spec in specs.values()
                     if not (directory / f"{spec.chart}-{spec.version}.tgz").is_file())
    if not missing:
        return []
    return [Finding("addons.chartSource.directory", f"{source.directory} lacks {', '.join(missing)}",
                    "add those packages (helm pull CHART --version VERSION) or disable those addons")]

