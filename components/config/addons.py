"""The `addons` section: each addon enabled or not, a pinned chart version, values.

Core addons have their own fields; any other pinned Helm chart goes in `charts`. The
secure ingress addons (cert-manager, Istio, Dex, OAuth2-Proxy) are configured in ingress.py.
"""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_network
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Addon, DnsLabel, Finding, PinnedVersion, StrictModel, join_path
from .base import values_mapping as _values_mapping
from .datalab import JupyterhubConfig, SparkOperatorConfig, TrainingOperatorConfig
from .ingress import CertManagerConfig, DexConfig, IstioConfig, Oauth2ProxyConfig
from .formats import ConfigKeyName, HelmChart, HelmRelease
from .k8s_names import Labels
from .k8s_values import PositiveQuantity, PrometheusDuration


class CalicoConfig(Addon):
    version: PinnedVersion = "v3.30.3"
    namespace: DnsLabel = "tigera-operator"
    encapsulation: Literal["VXLAN", "VXLANCrossSubnet", "IPIP", "IPIPCrossSubnet", "None"] = "VXLANCrossSubnet"
    # Pod network MTU; None lets Calico detect it from the host interface.
    mtu: int | None = Field(None, ge=1000, le=9000)
    block_size: int = Field(26, ge=20, le=32)
    api_server: bool = False


class OpenebsConfig(Addon):
    version: PinnedVersion = "4.3.0"
    namespace: DnsLabel = "openebs"
    storage_class: DnsLabel = "openebs-hostpath"
    base_path: str = "/var/openebs/local"
    default_class: bool = True

    @field_validator("base_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"basePath {value!r} is not absolute; use an absolute path without '..'")
        return value


class MetallbConfig(Addon):
    version: PinnedVersion = "0.15.2"
    namespace: DnsLabel = "metallb-system"
    # Ranges (`192.168.10.200-192.168.10.220`) or CIDRs (`192.168.10.224/28`).
    addresses: list[str] = []


class DashboardConfig(Addon):
    """Headlamp (the Kubernetes Dashboard project was archived) with a read-only account."""

    version: PinnedVersion = "0.37.0"
    namespace: DnsLabel = "headlamp"
    viewer_account: DnsLabel = "headlamp-viewer"


class PrometheusConfig(Addon):
    """kube-prometheus-stack."""

    version: PinnedVersion = "77.6.2"
    namespace: DnsLabel = "monitoring"
    storage_size: PositiveQuantity = "50Gi"
    retention: PrometheusDuration = "15d"
    # Off where no storage class exists (an emulated cluster): Prometheus keeps its data
    # in an emptyDir and loses it when its pod goes.
    persistent: bool = True
    # Name of a secret config key holding Grafana's admin password; unset: one is generated.
    admin_password_secret: ConfigKeyName | None = None


class NvidiaDevicePluginConfig(Addon):
    """The NVIDIA device plugin; `enabled` unset means: on when any host reports GPUs."""

    enabled: bool | None = None  # type: ignore[assignment]
    version: PinnedVersion = "0.17.4"
    namespace: DnsLabel = "nvidia-device-plugin"
    node_selector: Labels = {"nvidia.com/gpu.present": "true"}


class ChartConfig(StrictModel):
    """Any pinned Helm chart, installed after the core addons."""

    name: HelmRelease
    namespace: DnsLabel
    repository: str
    chart: HelmChart
    version: PinnedVersion
    values: dict[str, Any] = {}
    depends_on: list[str] = []

    _mapping = field_validator("values", mode="before")(_values_mapping)

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "oci://")):
            raise ValueError(f"repository {value!r} is not a URL; use the chart repository's https:// or oci:// URL")
        return value


class ChartSource(StrictModel):
    """Where every addon's chart comes from instead of its upstream repository (air gap).

    `directory`: packaged charts named `<chart>-<version>.tgz`, as `helm package` and
    `helm pull` write them; a relative path is relative to the project directory, where
    Pulumi runs the program. `repository`: one chart repository (a mirror) serving them all.
    """

    directory: str | None = None
    repository: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "ChartSource":
        if (self.directory is None) == (self.repository is None):
            raise ValueError("give exactly one of directory (packaged charts) or repository (a chart repository URL)")
        if self.repository is not None and not self.repository.startswith(("https://", "oci://")):
            raise ValueError(f"repository {self.repository!r} is not an https:// or oci:// URL; "
                             "use the mirror's https:// or oci:// address")
        return self


class AddonsConfig(StrictModel):
    # Replaces the repository of every addon and user chart (see ChartSource).
    chart_source: ChartSource | None = None
    calico: CalicoConfig = CalicoConfig()
    openebs: OpenebsConfig = OpenebsConfig()
    metallb: MetallbConfig = MetallbConfig()
    dashboard: DashboardConfig = DashboardConfig()
    prometheus: PrometheusConfig = PrometheusConfig()
    nvidia_device_plugin: NvidiaDevicePluginConfig = NvidiaDevicePluginConfig()
    cert_manager: CertManagerConfig = CertManagerConfig()
    istio: IstioConfig = IstioConfig()
    dex: DexConfig = DexConfig()
    oauth2_proxy: Oauth2ProxyConfig = Oauth2ProxyConfig()
    jupyterhub: JupyterhubConfig = JupyterhubConfig()
    spark_operator: SparkOperatorConfig = SparkOperatorConfig()
    training_operator: TrainingOperatorConfig = TrainingOperatorConfig()
    charts: list[ChartConfig] = []


CORE_ADDONS = ("calico", "openebs", "metallb", "dashboard", "prometheus", "nvidiaDevicePlugin",
               "certManager", "istio", "dex", "oauth2Proxy", "jupyterhub", "sparkOperator", "trainingOperator")


def parse_address_range(text: str) -> tuple[IPv4Address, IPv4Address]:
    """`a-b` or a CIDR -> first and last address; ValueError with the reason."""
    if "-" in text:
        first, _, last = text.partition("-")
        start, end = IPv4Address(first.strip()), IPv4Address(last.strip())
        if end < start:
            raise ValueError(f"{text!r} ends before it starts")
        return start, end
    network = ip_network(text, strict=True)
    if not isinstance(network, IPv4Network):
        raise ValueError(f"{text!r} is not IPv4")
    return network.network_address, network.broadcast_address


def _overlaps(a: tuple[IPv4Address, IPv4Address], b: tuple[IPv4Address, IPv4Address]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _metallb_findings(cfg) -> list[Finding]:
    from ..hosts.expand import expand_hosts

    mlb = cfg.addons.metallb
    if not mlb.enabled:
        return []
    if not mlb.addresses:
        return [Finding("addons.metallb.addresses", "MetalLB is enabled but has no addresses to hand out",
                        "list ranges (a-b) or CIDRs on the host network that no host or DHCP uses")]
    findings = []
    k = cfg.kubernetes
    hosts = {plan.address: plan.spec.name for plan in expand_hosts(cfg.hosts) if plan.address is not None}
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
        taken = sorted(f"{a} ({n})" for a, n in hosts.items() if span[0] <= a <= span[1])
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
    from ..addons.catalog import enabled_core_addons

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


def addons_findings(cfg) -> list[Finding]:
    from ..addons.catalog import all_addons, enabled_core_addons
    from .datalab_rules import datalab_findings
    from .ingress_rules import ingress_findings

    findings = _metallb_findings(cfg)
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
