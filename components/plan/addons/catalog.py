"""Which addons a stack installs, in which order (pure).

Order is by stage: the CNI first (nodes are NotReady without it), then storage and load
balancing, then everything else, then user charts. Each addon depends on every enabled
addon of the stages before it; a user chart also on the addons it names in dependsOn.
"""
from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass

from components.plan.addons import (calico, cert_manager, dashboard, dex, gateway, gpu, istio, jupyterhub,
                                    metallb, oauth2_proxy, openebs, prometheus, spark_operator,
                                    training_operator)
from components.plan.addons.ingress_inputs import planned_inputs
from components.plan.addons.spec import AddonSpec, merge_values

# Within a stage, dict order is install order: an addon's own depends_on (istiod after
# istioBase, ...) must name addons listed before it.
STAGES = {"calico": 0, "openebs": 1, "metallb": 1, "certManager": 1, "istioBase": 1, "dashboard": 2,
          "istiod": 2, "prometheus": 2, "istioGateway": 2, "dex": 2, "oauth2Proxy": 2, "nvidiaDevicePlugin": 2,
          "jupyterhub": 2, "trainingOperator": 2, "sparkOperator": 2}
USER_CHART_STAGE = 2  # user charts come after CNI, storage and load balancing
_BUILDERS = {
    "calico": calico.calico,
    "openebs": openebs.openebs,
    "metallb": metallb.metallb,
    "certManager": cert_manager.cert_manager,
    "istioBase": istio.istio_base,
    "dashboard": dashboard.dashboard,
    "istiod": istio.istiod,
    "prometheus": prometheus.prometheus,
    "istioGateway": gateway.istio_gateway,
    "dex": dex.dex,
    "oauth2Proxy": oauth2_proxy.oauth2_proxy,
    "nvidiaDevicePlugin": gpu.nvidia_device_plugin,
    "jupyterhub": jupyterhub.jupyterhub,
    "trainingOperator": training_operator.training_operator,
    "sparkOperator": spark_operator.spark_operator,
}
# Addon key -> its config attribute, where they differ (Istio's three charts share one).
_CONFIG_ATTR = {"nvidiaDevicePlugin": "nvidia_device_plugin", "certManager": "cert_manager",
                "istioBase": "istio", "istiod": "istio", "istioGateway": "istio", "oauth2Proxy": "oauth2_proxy",
                "sparkOperator": "spark_operator", "trainingOperator": "training_operator"}


def _enabled_keys(cfg) -> list[str]:
    keys = [k for k in STAGES if k != "nvidiaDevicePlugin" and getattr(cfg.addons, _attr(k)).enabled]
    if gpu.wanted(cfg):
        keys.append("nvidiaDevicePlugin")
    return keys


def _attr(key: str) -> str:
    return _CONFIG_ATTR.get(key, key)


def _earlier(keys: list[str], stage: int) -> tuple[str, ...]:
    return tuple(k for k in keys if STAGES[k] < stage)


def enabled_core_addons(cfg, **extra) -> dict[str, AddonSpec]:
    """Enabled core addons in stage order, with their dependency edges filled in.

    `extra` holds values made at deploy time (generated secrets, the CA); each builder
    gets those it names. Without them the ingress addons plan with stand-ins.
    """
    keys = _enabled_keys(cfg)
    extra = {"ingress": planned_inputs(cfg), **extra}
    specs = {}
    for key in sorted(keys, key=lambda k: (STAGES[k], list(STAGES).index(k))):
        builder = _BUILDERS[key]
        wanted = inspect.signature(builder).parameters
        spec = _with_exposed_apps(cfg, builder(cfg, **{k: v for k, v in extra.items() if k in wanted}))
        own = [d for d in spec.depends_on if d in keys]
        specs[key] = dataclasses.replace(spec, depends_on=tuple(dict.fromkeys((*_earlier(keys, STAGES[key]), *own))))
    return specs


def _with_exposed_apps(cfg, spec: AddonSpec) -> AddonSpec:
    """Grafana behind the gateway: its public URL, and a sidecar (istiod must run first)."""
    if spec.key != "prometheus" or not (cfg.addons.istio.enabled and cfg.addons.istio.gateway.expose_grafana):
        return spec
    return dataclasses.replace(spec, values=merge_values(spec.values, oauth2_proxy.grafana_values(cfg)),
                               depends_on=(*spec.depends_on, "istiod"))


def user_charts(cfg) -> dict[str, AddonSpec]:
    keys = _enabled_keys(cfg)
    base = _earlier(keys, USER_CHART_STAGE + 1)
    return {c.name: AddonSpec(key=c.name, release=c.name, namespace=c.namespace, chart=c.chart,
                              repository=c.repository, version=c.version, values=dict(c.values),
                              depends_on=tuple(dict.fromkeys((*base, *c.depends_on))))
            for c in cfg.addons.charts}


def all_addons(cfg, **extra) -> dict[str, AddonSpec]:
    specs = {**enabled_core_addons(cfg, **extra), **user_charts(cfg)}
    return {key: from_chart_source(spec, cfg.addons.chart_source) for key, spec in specs.items()}


def from_chart_source(spec: AddonSpec, source) -> AddonSpec:
    """The spec with its repository replaced by the stack's chart source, when it has one.

    A directory becomes a `file://` repository; the release then installs the package
    `<chart>-<version>.tgz` from it (see `chart_reference`).
    """
    if source is None:
        return spec
    repository = f"file://{source.directory}" if source.directory is not None else source.repository
    return dataclasses.replace(spec, repository=repository)


def chart_reference(spec: AddonSpec) -> tuple[str, str | None]:
    """(chart, repository) as a Helm release takes them: OCI and local packages carry no repository."""
    if spec.repository.startswith("file://"):
        return f"{spec.repository.removeprefix('file://').rstrip('/')}/{spec.chart}-{spec.version}.tgz", None
    if spec.repository.startswith("oci://"):
        return f"{spec.repository.rstrip('/')}/{spec.chart}", None
    return spec.chart, spec.repository


# Namespaces every cluster has: addons install into them but never declare (or delete) them.
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True)
class NamespacePlan:
    """One namespace and the one addon that declares it (a URN may exist only once)."""

    name: str
    owner: str  # the first addon, in install order, that installs there
    labels: dict[str, str]  # what every addon installing there asks of it


def namespace_plans(specs: dict[str, AddonSpec]) -> dict[str, NamespacePlan]:
    """namespace -> its plan, for the addons `specs` (in install order); built-ins left out."""
    plans: dict[str, NamespacePlan] = {}
    for key, spec in specs.items():
        if spec.namespace in BUILTIN_NAMESPACES:
            continue
        plan = plans.get(spec.namespace) or NamespacePlan(spec.namespace, key, {})
        plans[spec.namespace] = dataclasses.replace(plan, labels={**plan.labels, **spec.namespace_labels})
    return plans


def addon_graph(cfg) -> dict[str, set[str]]:
    """Enabled addon -> the addons it depends on."""
    return {key: set(spec.depends_on) for key, spec in all_addons(cfg).items()}


def crd_sources(cfg) -> list[tuple[str, str]]:
    enabled = _enabled_keys(cfg)
    sources = []
    if "calico" in enabled:
        sources.append(calico.crd_source(cfg))
    if "metallb" in enabled:
        sources.append(metallb.crd_source(cfg))
    if "certManager" in enabled:
        sources.append(cert_manager.crd_source(cfg))
    if "istioBase" in enabled:
        sources.append(istio.crd_source(cfg))
        sources += [(f"gateway-api-{cfg.addons.istio.gateway.gateway_api_version}-standard-install.yaml", url)
                    for url in istio.istio_base(cfg).manifests]
    return sources
