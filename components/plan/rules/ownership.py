"""One owner per object: what Kubernetes itself creates is never declared by a feature.

Consumers:
- kube-controller-manager's serviceaccount controller creates the ServiceAccount `default`
  in every namespace (and the root-CA ConfigMap); a feature declaring an account of that
  name (`addons.dashboard.viewerAccount` in the dashboard's namespace,
  `addons.sparkOperator.serviceAccount` in every tenant namespace) fails its create with
  AlreadyExists, or, adopted, is deleted with the feature while Kubernetes recreates it.
- Namespaces `default`, `kube-system`, `kube-public`, `kube-node-lease` are the API
  server's own (tenants.py refuses them as tenant names; addons may install there and never
  declare them). Namespaces shared between features: tenants.py (a tenant's against the
  addons'), and core.py/addons.py for releases and chart names.
"""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding
from components.config.model import StackConfig

KUBERNETES_ACCOUNTS = {"default": "the serviceaccount controller creates `default` in every namespace"}


def _accounts(cfg: StackConfig) -> Iterator[Finding]:
    dashboard = cfg.addons.dashboard
    if dashboard.enabled and dashboard.viewer_account in KUBERNETES_ACCOUNTS:
        yield Finding("addons.dashboard.viewerAccount",
                      f"the account {dashboard.viewer_account!r} is Kubernetes's own: "
                      f"{KUBERNETES_ACCOUNTS[dashboard.viewer_account]}, and this would declare it too (and give "
                      "every pod of the namespace the viewer's rights)", "use another name, e.g. headlamp-viewer")
    spark = cfg.addons.spark_operator
    if spark.enabled and spark.service_account in KUBERNETES_ACCOUNTS:
        yield Finding("addons.sparkOperator.serviceAccount",
                      f"the account {spark.service_account!r} is Kubernetes's own: "
                      f"{KUBERNETES_ACCOUNTS[spark.service_account]}, and this would declare it in every tenant "
                      "namespace (and give every tenant pod the driver's rights)", "use another name, e.g. spark")


def ownership_findings(cfg: StackConfig) -> list[Finding]:
    return list(_accounts(cfg))
