"""One owner per object: what Kubernetes itself creates is never declared by a feature.

Consumers:
- kube-controller-manager's serviceaccount controller creates the ServiceAccount `default`
  in every namespace (and the root-CA ConfigMap); a feature declaring an account of that
  name (`addons.dashboard.viewerAccount` in the dashboard's namespace,
  `addons.sparkOperator.serviceAccount` in every tenant namespace) fails its create with
  AlreadyExists, or, adopted, is deleted with the feature while Kubernetes recreates it.
- The Headlamp chart creates its own ServiceAccount, named `serviceAccount.name`, else its
  fullname (`fullnameOverride`, else the release `headlamp`): the viewer account may not be it.
- Namespaces `default`, `kube-system`, `kube-public`, `kube-node-lease` are the API
  server's own (tenants.py refuses them as tenant names; addons may install there and never
  declare them). Namespaces shared between features: tenants.py (a tenant's against the
  addons'), and core.py/addons.py for releases and chart names.
- `addons.istio.trainingExample.namespace`: the example declares that Namespace itself (with
  Istio's injection label), so it may be no addon's namespace (declared by the addon), no
  tenant's (declared by the tenant) and none of the API server's own; two declarations of one
  Namespace clash, and deleting the example would delete the other's.
"""
from __future__ import annotations

from collections.abc import Iterator

from components.config.base import Finding
from components.config.model import StackConfig

KUBERNETES_ACCOUNTS = {"default": "the serviceaccount controller creates `default` in every namespace"}


def _not_kubernetes_own(path: str, account: str, declared: str, example: str) -> Iterator[Finding]:
    """An account the config declares must not be one Kubernetes makes itself."""
    if account in KUBERNETES_ACCOUNTS:
        yield Finding(path, f"the account {account!r} is Kubernetes's own: {KUBERNETES_ACCOUNTS[account]}, "
                            f"and this would declare it {declared}", f"use another name, e.g. {example}")


def _accounts(cfg: StackConfig) -> Iterator[Finding]:
    dashboard = cfg.addons.dashboard
    if dashboard.enabled:
        yield from _not_kubernetes_own("addons.dashboard.viewerAccount", dashboard.viewer_account,
                                       "too (and give every pod of the namespace the viewer's rights)",
                                       "headlamp-viewer")
        values = dashboard.values
        chart_account = ((values.get("serviceAccount") or {}).get("name") or values.get("fullnameOverride")
                         or "headlamp")
        if dashboard.viewer_account == chart_account:
            yield Finding("addons.dashboard.viewerAccount", f"the Headlamp chart creates the account "
                          f"{chart_account!r} for its own pod; the viewer account would be the same object",
                          "use another name, e.g. headlamp-viewer")
    spark = cfg.addons.spark_operator
    if spark.enabled:
        yield from _not_kubernetes_own("addons.sparkOperator.serviceAccount", spark.service_account,
                                       "in every tenant namespace (and give every tenant pod the driver's rights)",
                                       "spark")


def _example_namespace(cfg: StackConfig) -> Iterator[Finding]:
    istio = cfg.addons.istio
    example = istio.training_example
    if not (istio.enabled and example.enabled):
        return
    from components.plan.addons.catalog import BUILTIN_NAMESPACES, all_addons

    owners = {spec.namespace: f"the addon {key!r}" for key, spec in all_addons(cfg).items()}
    owners.update({t.name: f"tenant {t.name!r}" for t in cfg.tenants})
    name = example.namespace
    owner = "the API server" if name in BUILTIN_NAMESPACES or name.startswith("kube-") else owners.get(name)
    if owner:
        yield Finding("addons.istio.trainingExample.namespace", f"the training example declares the Namespace "
                      f"{name!r}, which {owner} owns: one object would have two owners",
                      "give the example a namespace of its own, e.g. training")


def ownership_findings(cfg: StackConfig) -> list[Finding]:
    return [*_accounts(cfg), *_example_namespace(cfg)]
