"""kube-prometheus-stack: persistent Prometheus on the default class, no chart hook trouble.

Its operator's admission webhook needs certificates: with cert-manager enabled they come
from cert-manager; otherwise the webhooks (and the hook Jobs that patch them) are off.

Grafana's admin password lives in a Secret of our own that the chart names
(`grafana.admin.existingSecret`): a secret inside the values would make the engine treat
all values as secret, and hide every values diff.
"""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values, obj

REPOSITORY = "https://prometheus-community.github.io/helm-charts"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"


def prometheus(cfg, grafana_admin_password=None) -> AddonSpec:
    p = cfg.addons.prometheus
    if cfg.addons.cert_manager.enabled:
        webhooks = {"admissionWebhooks": {"certManager": {"enabled": True}}}
    else:
        webhooks = {"admissionWebhooks": {"enabled": False, "patch": {"enabled": False}},
                    "tls": {"enabled": False}}
    # No storageClassName: the claim lands on the cluster's default class.
    storage = {"volumeClaimTemplate": {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": p.storage_size}}}}}
    prometheus_spec = {"retention": p.retention, **({"storageSpec": storage} if p.persistent else {})}
    values = {
        "prometheusOperator": webhooks,
        "prometheus": {"prometheusSpec": prometheus_spec},
        "grafana": {"sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard",
                                               "searchNamespace": "ALL"}},
                    # Generated or from secret config, never the chart's well-known default.
                    "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user",
                              "passwordKey": "admin-password"}},
    }
    if cfg.emulation is not None:
        from components.plan.emulation.dashboard import KSM_NODE_LABELS

        # The emulated-capacity dashboard groups by zone and instance type.
        values["kube-state-metrics"] = {"metricLabelsAllowlist": [KSM_NODE_LABELS]}
    values = merge_values(values, p.values)
    secret = () if grafana_admin_password is None else (grafana_admin_secret(p.namespace, grafana_admin_password),)
    return AddonSpec(key="prometheus", release="kube-prometheus-stack", namespace=p.namespace,
                     chart="kube-prometheus-stack", repository=REPOSITORY, version=p.version,
                     values=values, prerequisites=secret)


def grafana_admin_secret(namespace: str, password) -> dict:
    """The Secret the chart reads Grafana's admin login from (`password` a secret Output)."""
    return obj("v1", "Secret", GRAFANA_ADMIN_SECRET, namespace, type="Opaque",
               stringData={"admin-user": GRAFANA_ADMIN_USER, "admin-password": password})
