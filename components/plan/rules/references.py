"""References that must resolve: node selectors against the nodes the stack declares, `$VAR`s
in Dex connectors against `connectorSecrets`, and chart dependencies (a cycle is an error).

Consumers:
- The scheduler places a pod with a `nodeSelector` only on a node carrying every label; a
  DaemonSet's selector that matches no node runs nothing (the NVIDIA device plugin would
  advertise no GPU). The nodes' labels come from the stack: pool and override labels (the
  kubelet registers them; node-config keeps them), `nvidia.com/gpu.present` on GPU hosts,
  what the kubelet and kubeadm set (`kubernetes.io/hostname|os|arch`,
  `node-role.kubernetes.io/control-plane`), kind's `nodes[].labels`, the emulated groups'
  labels (emulation/nodes.py). Labels under prefixes other labelers own (Node Feature
  Discovery, NVIDIA's GPU feature discovery, cloud providers, topology) may appear later, so
  a selector using one is not judged.
- Dex expands `$VAR` / `${VAR}` in a connector's config from its environment; the program
  puts there exactly the variables of `addons.dex.connectorSecrets`. Any other variable
  stays the literal text `$VAR` (a wrong client secret, a failed login).
- `addons.charts[].dependsOn` orders Helm releases; the engine cannot deploy a cycle.
- A claim without a provisioner stays Pending: Prometheus's volume (`persistent: true`) is
  claimed from the default StorageClass. On a kwok stack every node is emulated, so no
  provisioner ever runs and the claim never binds (elsewhere OpenEBS, kind's local-path or a
  user chart may provide the class, so only kwok is judged).
- Who can sign in: with no Dex connector, Dex's static users are every identity there is.
  OAuth2-Proxy lets through only emails under `addons.oauth2Proxy.emailDomains` (`*`: all),
  and JupyterHub's `adminUsers`/`allowedUsers` are emails (its username claim): each must
  name a static user, or nobody holds that right.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from components.config.base import Finding, join_path
from components.config.model import StackConfig
from components.plan.hosts.spec import GPU_PRESENT_LABEL
from components.plan.rules.free_form import free_form_roots, walk

EXTERNAL_PREFIXES = ("feature.node.kubernetes.io/", "nvidia.com/", "topology.kubernetes.io/",
                     "node.kubernetes.io/", "failure-domain.beta.kubernetes.io/", "beta.kubernetes.io/",
                     "eks.amazonaws.com/", "cloud.google.com/", "kubernetes.azure.com/", "topology.")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def declared_node_labels(cfg: StackConfig, hosts) -> list[dict[str, str]] | None:
    """The labels of every node the stack declares (one entry per kind of node); None if unknown."""
    nodes: list[dict[str, str]] = []
    base = {"kubernetes.io/os": "linux"}
    for plan in hosts:
        labels = {**base, "kubernetes.io/hostname": plan.spec.name, **plan.spec.labels}
        if plan.spec.role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
        nodes.append(labels)
    kind = cfg.hosts.kind_cluster
    if cfg.hosts.kind == "kind" and kind is not None:
        kind_nodes = kind.kind_config.get("nodes") or [{"role": "control-plane"}]
        if not isinstance(kind_nodes, list):
            return None
        for node in kind_nodes:
            node = node if isinstance(node, dict) else {}
            labels = {**base, **{str(k): str(v) for k, v in (node.get("labels") or {}).items()}}
            if node.get("role", "control-plane") == "control-plane":
                labels["node-role.kubernetes.io/control-plane"] = ""
            nodes.append(labels)
    if cfg.emulation is not None:
        from components.plan.emulation.nodes import group_spec, node_labels

        for group in cfg.emulation.node_groups:
            spec = group_spec(group, cfg.emulation.region, cfg.kubernetes.version)
            zone = spec["zones"][0][0] if spec["zones"] else ""
            nodes.append(node_labels(spec, f"{group.name}-{zone}-0", zone))
    return nodes


def _selector_findings(path: str, selector: Mapping[str, Any], nodes: list[dict[str, str]]) -> Iterator[Finding]:
    if not selector or not all(isinstance(v, (str, int, float, bool)) for v in selector.values()):
        return
    wanted = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in selector.items()}
    if any(k.startswith(EXTERNAL_PREFIXES) and k != "nvidia.com/gpu.present" or k == "kubernetes.io/hostname"
           for k in wanted):
        return
    if any(all(node.get(k) == v for k, v in wanted.items()) for node in nodes):
        return
    shown = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
    carried = sorted({f"{k}={node[k]}" for node in nodes for k in wanted if k in node})
    yield Finding(path, f"no node the stack declares has {shown}, so what it selects never runs"
                  + (f" (nodes have {', '.join(carried[:4])})" if carried else ""),
                  "select labels the stack's pools, overrides or node groups set, or add the label there")


def _selectors(cfg: StackConfig, hosts) -> Iterator[Finding]:
    nodes = declared_node_labels(cfg, hosts)
    if not nodes:
        return
    plugin = cfg.addons.nvidia_device_plugin
    from components.plan.addons.gpu import wanted

    # The default selector is the label every GPU host gets: a plugin enabled ahead of its GPU
    # hosts waits for them. A selector the stack wrote must match a host.
    if wanted(cfg) and plugin.node_selector and plugin.node_selector != {GPU_PRESENT_LABEL: "true"}:
        yield from _selector_findings("addons.nvidiaDevicePlugin.nodeSelector", plugin.node_selector, nodes)
    for root, value in free_form_roots(cfg):
        if root.startswith(("addons.dex.connectors", "hosts.kindCluster")):
            continue
        for path, key, node in walk(root, value):
            if key == "nodeSelector" and isinstance(node, dict) and not path.endswith("]"):
                yield from _selector_findings(path, node, nodes)


def _dex_variables(cfg: StackConfig) -> Iterator[Finding]:
    dex = cfg.addons.dex
    if not dex.enabled:
        return
    known = set(dex.connector_secrets)
    for i, connector in enumerate(dex.connectors):
        for path, _, node in walk(join_path("addons", "dex", "connectors", i), connector):
            if not isinstance(node, str):
                continue
            for braced, bare in _VARIABLE.findall(node):
                name = braced or bare
                if name not in known:
                    yield Finding(path, f"${name} is not in addons.dex.connectorSecrets, so Dex would use the "
                                  f"literal text ${name}",
                                  f"set the value as a secret (pulumi config set --secret clusterforge:<key>) and "
                                  f"add {name}: <key> to addons.dex.connectorSecrets")


def _chart_cycles(cfg: StackConfig) -> Iterator[Finding]:
    charts = {chart.name: i for i, chart in enumerate(cfg.addons.charts)}
    edges = {chart.name: [d for d in chart.depends_on if d in charts] for chart in cfg.addons.charts}
    reported: set[str] = set()
    for start in edges:
        path, on_path, stack = [start], {start}, [iter(edges[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                cycle = path[path.index(nxt):]
                if not reported & set(cycle):
                    reported |= set(cycle)
                    first = min(cycle, key=charts.get)
                    yield Finding(join_path("addons", "charts", charts[first], "dependsOn"),
                                  f"charts depend on each other in a cycle ({' -> '.join(cycle + [nxt])}): "
                                  "none can be installed first", "drop one dependsOn entry of the cycle")
                continue
            if nxt not in reported:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(edges[nxt]))


def _sign_ins(cfg: StackConfig) -> Iterator[Finding]:
    dex = cfg.addons.dex
    if not dex.enabled or dex.connectors or not dex.static_users:
        return
    emails = {user.email.lower() for user in dex.static_users}
    proxy = cfg.addons.oauth2_proxy
    domains = {d.lower().lstrip("@") for d in proxy.email_domains}
    if proxy.enabled and "*" not in domains:
        shut_out = sorted(e for e in emails if e.rpartition("@")[2] not in domains)
        if shut_out:
            yield Finding("addons.oauth2Proxy.emailDomains", f"OAuth2-Proxy admits only {', '.join(sorted(domains))}, "
                          f"so the static user(s) {', '.join(shut_out)} can never sign in (Dex has no connector)",
                          "add their domains, or use [\"*\"]")
    hub = cfg.addons.jupyterhub
    if hub.enabled:
        for field, listed in (("adminUsers", hub.admin_users), ("allowedUsers", hub.allowed_users)):
            for i, user in enumerate(listed):
                if user.lower() not in emails:
                    yield Finding(join_path("addons", "jupyterhub", field, i),
                                  f"{user!r} is none of Dex's static users' emails (JupyterHub's username is the "
                                  "email), and Dex has no connector: nobody signs in as it",
                                  f"use one of: {', '.join(sorted(emails))}, or add that static user")


def _default_storage(cfg: StackConfig) -> Iterator[Finding]:
    prometheus = cfg.addons.prometheus
    if cfg.hosts.kind == "kwok" and prometheus.enabled and prometheus.persistent:
        yield Finding("addons.prometheus.persistent", "Prometheus claims its volume from the default StorageClass, "
                      "and on a kwok stack no provisioner runs (every node is emulated): the claim, and Prometheus, "
                      "stay Pending", "set persistent: false")


def reference_findings(cfg: StackConfig, hosts) -> list[Finding]:
    return [*_selectors(cfg, hosts), *_dex_variables(cfg), *_chart_cycles(cfg), *_sign_ins(cfg),
            *_default_storage(cfg)]
