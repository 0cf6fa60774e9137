"""The `addons` section: each addon enabled or not, a pinned chart version, values.

Core addons have their own fields; any other pinned Helm chart goes in `charts`. The
secure ingress addons (cert-manager, Istio, Dex, OAuth2-Proxy) are configured in ingress.py.

Who consumes each field (rules: here, plan/rules/addons.py, versions.py, trust.py,
chart_schemas.py, credentials.py, references.py, ownership.py, address_plan.py):
- every addon's `enabled|version|namespace|values`: a Helm release (the chart's
  `kubeVersion` must admit kubernetes.version; a namespace is a DNS label, declared once;
  values are coalesced with the chart's and validated by its values.schema.json where the
  package is on disk; no credential in plain text; a `nodeSelector` in them must match a node
  the stack declares).
- `chartSource.directory|repository`: Helm's chart location (every package
  `<chart>-<version>.tgz` present; https or oci, no credentials in the URL).
- `calico.*`: the Tigera operator's Installation (encapsulation, MTU 1000-9000, IPv4
  blockSize 20-32 and no larger than the pod CIDR, the apiserver toggle).
- `openebs.*`: the localpv-provisioner StorageClass (name, hostpath base path, default class).
- `metallb.addresses[]`: an IPAddressPool (ranges or CIDRs inside the host network, clear of
  hosts, gateway, VIP, the cluster's ranges and the network and broadcast addresses).
- `dashboard.viewerAccount`: a ServiceAccount in Headlamp's namespace (a DNS label, not
  Kubernetes's own `default`).
- `prometheus.storageSize|retention|persistent|adminPasswordSecret`: kube-prometheus-stack's
  volume claim (a quantity), Prometheus's retention (its duration grammar) and Grafana's admin
  Secret (a secret config key).
- `nvidiaDevicePlugin.nodeSelector`: the DaemonSet's nodeSelector (must match a GPU node).
- `charts[].name|namespace|repository|chart|version|values|dependsOn`: a user Helm release
  (release and chart names as Helm validates them, a pinned version, dependencies on enabled
  addons or charts and never in a cycle).
"""
from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_network
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import Addon, DnsLabel, PinnedVersion, StrictModel
from components.config.base import values_mapping as _values_mapping
from components.config.datalab import JupyterhubConfig, SparkOperatorConfig, TrainingOperatorConfig
from components.config.formats import ConfigKeyName, HelmChart, HelmRelease
from components.config.ingress import CertManagerConfig, DexConfig, IstioConfig, Oauth2ProxyConfig
from components.config.k8s_names import Labels
from components.config.k8s_values import PositiveQuantity, PrometheusDuration


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


