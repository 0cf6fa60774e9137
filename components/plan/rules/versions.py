"""Version rules of the systems the stack drives: kubeadm, the package repositories, Helm.

- kubernetes.version: a release (pkgs.k8s.io's stable repositories carry no
  pre-releases), of a minor kubeadm's v1beta4 config API exists for (1.31 on), and not
  newer than the newest minor whose API schemas `kubernetes-validate` ships (what
  `check` validates every object against).
- Each enabled chart's `kubeVersion` constraint, as its Chart.yaml declares it (recorded
  per pinned chart version below; tests compare the table with the upstream packages),
  evaluated as Helm does (Masterminds/semver constraints).
"""
from __future__ import annotations

import re

import semver
from kubernetes_validate import utils as k8s_schemas

from components.config.base import Finding, join_path

# The documents components/plan/provisioning/kubeadm_config.py writes are kubeadm.k8s.io/v1beta4.
KUBEADM_V1BETA4_SINCE = (1, 31)
NEWEST_MINOR = tuple(int(p) for p in k8s_schemas.latest_version().split(".")[:2])

# (chart, version) -> Chart.yaml's kubeVersion, or None where the chart declares none.
CHART_KUBE_VERSIONS: dict[tuple[str, str], str | None] = {
    ("kube-prometheus-stack", "77.6.2"): ">=1.25.0-0",
    ("metallb", "0.15.2"): ">= 1.19.0-0",
    ("nvidia-device-plugin", "0.17.4"): ">= 1.10.0-0",
    ("headlamp", "0.37.0"): None,
    ("reloader", "2.2.3"): None,
    ("jupyterhub", "4.4.0"): ">=1.28.0-0",
    ("spark-operator", "2.5.2"): None,
    ("kubeflow-trainer", "2.2.1"): None,
}

_RELEASE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def kubernetes_version_findings(version: str) -> list[Finding]:
    path = "kubernetes.version"
    match = _RELEASE.fullmatch(version)
    if not match:
        return [Finding(path, f"{version} is a pre-release or build; the Kubernetes package repositories "
                              "(pkgs.k8s.io) carry releases only", "pin a release such as 1.36.2")]
    minor = (int(match[1]), int(match[2]))
    oldest = ".".join(map(str, KUBEADM_V1BETA4_SINCE))
    newest = ".".join(map(str, NEWEST_MINOR))
    if minor < KUBEADM_V1BETA4_SINCE:
        return [Finding(path, f"Kubernetes {minor[0]}.{minor[1]} is older than {oldest}, the first kubeadm with "
                              "the v1beta4 config API this program writes",
                        f"pin a version from {oldest} to {newest}")]
    if minor > NEWEST_MINOR:
        return [Finding(path, f"Kubernetes {minor[0]}.{minor[1]} is newer than {newest}, the newest minor with "
                              "published API schemas (kubernetes-validate) to check the cluster's objects against",
                        f"pin a version from {oldest} to {newest}")]
    return []


def _expand(op: str, text: str) -> list[tuple[str, semver.Version]]:
    """One Masterminds constraint -> plain comparisons (wildcards, ~ and ^ expanded)."""
    core, _, pre = text.lstrip("v").partition("-")
    parts = core.split(".")
    wild = [p in ("x", "X", "*") for p in parts] + [True] * (3 - len(parts))
    nums = [0 if w or i >= len(parts) else int(parts[i]) for i, w in enumerate(wild)]
    low = semver.Version(*nums, prerelease=pre or None)
    fixed = wild.index(True) if True in wild else 3
    if op in ("", "=") and fixed < 3:
        op = "~" if fixed else ">="
    if op in ("~", "~>"):
        high = semver.Version(low.major, low.minor + 1, 0) if fixed >= 2 else semver.Version(low.major + 1, 0, 0)
        return [(">=", low), ("<", high)]
    if op == "^":
        if low.major or fixed <= 1:
            return [(">=", low), ("<", semver.Version(low.major + 1, 0, 0))]
        if low.minor or fixed == 2:
            return [(">=", low), ("<", semver.Version(0, low.minor + 1, 0))]
        return [(">=", low), ("<", semver.Version(0, 0, low.patch + 1))]
    op = {"=>": ">=", "=<": "<="}.get(op, op or "=")
    if op in ("<=", ">") and fixed < 3:  # `<=1.32` takes all of 1.32.x, `>1.32` none of it
        nxt = semver.Version(low.major, low.minor + 1, 0) if fixed == 2 else semver.Version(low.major + 1, 0, 0)
        return [("<" if op == "<=" else ">=", nxt)]
    return [(op, low)]


_CONSTRAINT = re.compile(r"(>=|=>|<=|=<|!=|~>|[=<>~^])?\s*(v?[0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?)")
_COMPARE = {"=": lambda c: c == 0, "!=": lambda c: c != 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
            "<": lambda c: c < 0, "<=": lambda c: c <= 0}


def satisfies(version: str, constraint: str) -> bool:
    """Whether `version` meets a Helm `kubeVersion` constraint (`>=1.25.0-0`, `^1.8.0-0 || ~2.1`)."""
    candidate = semver.Version.parse(version.lstrip("v"))
    for group in constraint.split("||"):
        text = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1, <=\2", group.strip())  # hyphen ranges
        if text.replace(",", " ").strip() == "" or text.strip() == "*":
            return True
        checks = [c for op, v in _CONSTRAINT.findall(text) for c in _expand(op, v)]
        if checks and all(_COMPARE[op](candidate.compare(bound)) for op, bound in checks):
            return True
    return False


def chart_version_findings(cfg) -> list[Finding]:
    from components.plan.addons.catalog import enabled_core_addons

    version = cfg.kubernetes.version
    charts = [(f"addons.{key}.version", spec.chart, spec.version) for key, spec in enabled_core_addons(cfg).items()]
    charts += [(join_path("addons", "charts", i, "version"), c.chart, c.version)
               for i, c in enumerate(cfg.addons.charts)]
    findings = []
    for path, chart, chart_version in charts:
        constraint = CHART_KUBE_VERSIONS.get((chart, chart_version.lstrip("v")))
        if constraint and not satisfies(version, constraint):
            findings.append(Finding(path, f"chart {chart} {chart_version} requires Kubernetes {constraint} "
                                          f"(its Chart.yaml kubeVersion); the stack pins {version}",
                                    "pin a chart version that supports this Kubernetes version, or change "
                                    "kubernetes.version"))
    return findings


def version_findings(cfg) -> list[Finding]:
    findings = kubernetes_version_findings(cfg.kubernetes.version)
    return findings + (chart_version_findings(cfg) if not findings else [])
