"""The `emulation` section (KWOK node groups) and the kind host kind's settings.

Node groups keep KEMU's shape (datastrophic/kemu `nodeGroups`: name, placement per
availability zone, nodeTemplate with metadata and capacity) so KEMU files paste in
unchanged, and extend it with what real clusters need: taints, reserved resources
(allocatable = capacity - reserved), architecture and OS, region and extra conditions.
A whole KEMU `ClusterConfig` document is accepted too (see `_from_kemu`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from components.config.base import DnsLabel, Finding, PinnedVersion, StrictModel, join_path
from components.config.k8s_names import (Annotations, LabelKey, Labels, LabelValue, dns1123_label_errors,
                                         invalid, qualified_name_errors)
from components.config.images import pinned_image_ref
from components.config.k8s_values import Quantity, parse_quantity
from components.config.kind_cluster import KindClusterConfig

__all__ = ["EmulationConfig", "KindClusterConfig", "NodeGroup", "emulation_findings", "load_kemu_file",
           "node_name", "parse_quantity", "resource_name"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEMU_API_VERSION = "kemu.datastrophic.io/v1alpha1"
DEFAULT_KWOK_VERSION = "v0.8.0"
DEFAULT_MAX_PODS = "110"
KWOK_IMAGE_REPOSITORY = "registry.k8s.io/kwok/kwok"
# Kubernetes object names (and so node names) are DNS labels of at most 63 characters.
MAX_NODE_NAME = 63

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Resource names without a domain prefix that a Node may carry (the API server's
# IsStandardResourceName for node capacity); anything else needs a prefix (nvidia.com/gpu).
STANDARD_NODE_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pods", "storage")


def resource_name(key: str) -> str:
    """Map KEMU's camelCase capacity keys to Kubernetes resource names.

    `ephemeralStorage` -> `ephemeral-storage`, `hugepages2Mi` -> `hugepages-2Mi`;
    domain-prefixed names (`nvidia.com/gpu`) and already-kebab names are kept.
    """
    if "/" in key or "-" in key:
        return key
    if re.match(r"^hugepages\d", key):
        return "hugepages-" + key[len("hugepages"):]
    return _CAMEL_HUMP.sub(lambda m: "-" + m.group(1).lower(), key)


def resource_name_errors(name: str) -> list[str]:
    """The API server's validateResourceName for node capacity."""
    errs = qualified_name_errors(name)
    if errs or "/" in name or name in STANDARD_NODE_RESOURCES:
        return errs
    if name.startswith("hugepages-"):
        try:
            parse_quantity(name[len("hugepages-"):])
            return []
        except ValueError:
            return [f"hugepages-<size> needs a page size quantity such as 2Mi, not {name[10:]!r}"]
    return [f"must be a standard resource type ({', '.join(STANDARD_NODE_RESOURCES)}, hugepages-<size>) "
            "or fully qualified (e.g. nvidia.com/gpu)"]


def _resources(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, amount in value.items():
        name = resource_name(str(key))
        errs = resource_name_errors(name)
        if errs:
            raise invalid(f"{key!r} is not a resource name: {'; '.join(errs)}",
                          "use e.g. cpu, memory, ephemeralStorage, pods or nvidia.com/gpu")
        if name in out:
            raise invalid(f"{key!r} names the resource {name!r} twice", "use one spelling")
        out[name] = amount
    return out


Resources = Annotated[dict[str, Quantity], BeforeValidator(_resources)]


def _zone(value: str) -> str:
    # Zones appear in node names and label values: a DNS label keeps both valid.
    errs = dns1123_label_errors(value)
    if errs:
        raise invalid(f"{value!r} cannot be part of a node name: {'; '.join(errs)}",
                      "use lower-case letters, digits and '-'")
    return value


Zone = Annotated[str, AfterValidator(_zone)]


class Placement(StrictModel):
    """KEMU: how many nodes of the group live in one availability zone."""

    availability_zone: Zone
    replicas: int = Field(ge=0, le=100_000)


class TemplateMetadata(StrictModel):
    labels: Labels = {}
    annotations: Annotations = {}


class NodeTaint(StrictModel):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeCondition(StrictModel):
    """An extra status condition KWOK keeps on every node of the group (e.g. a GPU health check)."""

    type: str = Field(pattern=r"^[A-Za-z0-9][-A-Za-z0-9_./]*$")
    status: Literal["True", "False", "Unknown"] = "True"
    reason: str = ""
    message: str = ""


class NodeTemplate(StrictModel):
    """KEMU's nodeTemplate plus taints, reserved, architecture, OS and conditions."""

    metadata: TemplateMetadata = TemplateMetadata()
    capacity: Resources = Field(min_length=1)
    # Subtracted from capacity to give allocatable (kube-reserved + system-reserved).
    reserved: Resources = {}
    taints: list[NodeTaint] = []
    # KEMU sets arm64/"kemu"; linux/amd64 keeps DaemonSets that select linux schedulable.
    architecture: Literal["amd64", "arm64", "ppc64le", "s390x"] = "amd64"
    operating_system: Literal["linux", "windows"] = "linux"
    conditions: list[NodeCondition] = []

    @field_validator("capacity")
    @classmethod
    def _default_pods(cls, capacity: dict[str, str]) -> dict[str, str]:
        # KEMU files often omit `pods`; a node without it admits no pods at all, so use
        # the kubelet's default --max-pods.
        return capacity if "pods" in capacity else {**capacity, "pods": DEFAULT_MAX_PODS}


class NodeGroup(StrictModel):
    """KEMU: one instance type, placed over availability zones."""

    name: DnsLabel
    placement: list[Placement] = Field(min_length=1)
    node_template: NodeTemplate
    # The `kwok.x-k8s.io/node=fake:NoSchedule` taint keeps real workloads off fake nodes
    # next to real ones. On a kwok host kind every node is fake: a group without it (and
    # without NoSchedule taints) is where addon pods land.
    fake_taint: bool = True
    # The `node.kubernetes.io/instance-type` label; KEMU uses the group name.
    instance_type: LabelValue | None = None
    # `topology.kubernetes.io/region`; defaults to the section's `region`.
    region: LabelValue | None = None

    @property
    def replicas(self) -> int:
        return sum(p.replicas for p in self.placement)


class KwokConfig(StrictModel):
    """The KWOK controller release and which pod lifecycle it emulates."""

    version: PinnedVersion = DEFAULT_KWOK_VERSION
    # Image, pinned by tag or digest; default: the official image of `version`.
    image: str | None = None
    # `fast`: pods become Ready at once and Job pods complete at once. `delay`: the general stages that
    # honour `pod-*.stage.kwok.x-k8s.io/delay` annotations. `auto`: `delay` when any
    # workload listed in `emulation.workloads` uses such an annotation.
    pod_stages: Literal["auto", "fast", "delay"] = "auto"
    namespace: DnsLabel = "kube-system"

    @property
    def image_ref(self) -> str:
        return self.image or f"{KWOK_IMAGE_REPOSITORY}:{self.version}"

    @field_validator("image")
    @classmethod
    def _pinned_image(cls, value: str | None) -> str | None:
        if value is not None and not pinned_image_ref(value):
            raise ValueError(
                f"image {value!r} is not pinned; give an exact tag (…:v0.8.0) or a digest (…@sha256:…)"
            )
        return value


class EmulationConfig(StrictModel):
    """KWOK fake nodes in node groups, KEMU-compatible."""

    kwok: KwokConfig = KwokConfig()
    # Default `topology.kubernetes.io/region` of every group.
    region: LabelValue | None = None
    node_groups: list[NodeGroup] = []
    # Workload templates used with this stack (paths relative to the project); their
    # KWOK delay annotations decide `kwok.podStages: auto`.
    workloads: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_kemu(cls, data: Any) -> Any:
        return from_kemu(data) if is_kemu_document(data) else data

    @property
    def total_nodes(self) -> int:
        return sum(g.replicas for g in self.node_groups)


def is_kemu_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("apiVersion") == KEMU_API_VERSION


def from_kemu(document: dict) -> dict:
    """The emulation section of a KEMU `ClusterConfig`: its node groups.

    KEMU's `kindConfig` and `clusterAddons` belong to `hosts.kindCluster` and
    `addons.charts`; `clusterforge import-kemu` moves them there. Inside the emulation
    section they would be dropped, so they are refused rather than ignored.
    """
    if document.get("kind") != "ClusterConfig":
        raise ValueError(f"a {KEMU_API_VERSION} document must be a ClusterConfig; use kind: ClusterConfig")
    spec = document.get("spec") or {}
    extra = sorted(set(spec) - {"nodeGroups"})
    if extra:
        raise ValueError(
            f"KEMU spec.{', spec.'.join(extra)} cannot live in the emulation section; run "
            "`clusterforge import-kemu FILE --stack NAME` to move kindConfig to hosts.kindCluster "
            "and clusterAddons to addons.charts"
        )
    return {"nodeGroups": spec.get("nodeGroups") or []}


def load_kemu_file(path: str) -> EmulationConfig:
    """Read a KEMU ClusterConfig file as the emulation section (its node groups)."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    if not is_kemu_document(document):
        raise ValueError(f"{path}: not a KEMU ClusterConfig (apiVersion {KEMU_API_VERSION})")
    spec = dict(document.get("spec") or {})
    return EmulationConfig.model_validate({"nodeGroups": spec.get("nodeGroups") or []})


def node_name(group: str, zone: str, index: int) -> str:
    """KEMU's node naming: `{group}-{zone}-{index}`, index from 0 within the zone."""
    return f"{group}-{zone}-{index}"


def emulation_findings(cfg: Any) -> list[Finding]:
    """Cross-field rules of the emulation section.

    Given the whole StackConfig, the kind host kind's rules (node image vs Kubernetes
    version) are checked too.
    """
    if isinstance(cfg, EmulationConfig):
        return node_group_findings(cfg)
    findings = kind_findings(cfg)
    if cfg.emulation is not None:
        findings += node_group_findings(cfg.emulation)
    return findings


def kind_findings(cfg: Any) -> list[Finding]:
    """The kind host kind's cross-section rules (takes the StackConfig)."""
    kind = cfg.hosts.kind_cluster
    if cfg.hosts.kind != "kind" or kind is None:
        return []
    tag = kind.node_image_tag.removeprefix("v")
    version = str(cfg.kubernetes.version).removeprefix("v")
    if tag and tag != version:
        return [Finding(
            "hosts.kindCluster.nodeImage",
            f"node image {kind.node_image} runs Kubernetes {tag}, the stack pins {version}",
            f"use kindest/node:v{version} (with its digest) or set kubernetes.version to {tag}",
        )]
    return []


def node_group_findings(cfg: EmulationConfig, path: str = "emulation") -> list[Finding]:
    """Cross-field rules of the node groups, all at once."""
    findings: list[Finding] = []
    seen_groups: dict[str, int] = {}
    all_names: dict[str, str] = {}
    for g_index, group in enumerate(cfg.node_groups):
        g_path = join_path(path, "nodeGroups", g_index)
        duplicate = group.name in seen_groups
        if duplicate:
            findings.append(Finding(
                join_path(g_path, "name"),
                f"node group {group.name!r} is also nodeGroups[{seen_groups[group.name]}]",
                "give every node group its own name",
            ))
        seen_groups.setdefault(group.name, g_index)

        seen_zones: dict[str, int] = {}
        for p_index, place in enumerate(group.placement):
            p_path = join_path(g_path, "placement", p_index)
            zone = place.availability_zone
            if zone in seen_zones:
                findings.append(Finding(
                    join_path(p_path, "availabilityZone"),
                    f"zone {zone!r} is placed twice in group {group.name!r}",
                    f"merge the replicas into placement[{seen_zones[zone]}]",
                ))
                continue
            seen_zones[zone] = p_index
            if place.replicas:
                longest = node_name(group.name, zone, place.replicas - 1)
                if len(longest) > MAX_NODE_NAME:
                    findings.append(Finding(
                        join_path(p_path, "availabilityZone"),
                        f"node name {longest!r} has {len(longest)} characters, more than "
                        f"{MAX_NODE_NAME}",
                        "shorten the group name or the zone",
                    ))
                # `a-b` + zone `c-1` and `a` + zone `b-c` give the same names.
                first = node_name(group.name, zone, 0)
                if first in all_names and not duplicate:
                    findings.append(Finding(
                        join_path(p_path, "availabilityZone"),
                        f"node {first!r} is also generated by {all_names[first]}",
                        "rename the group or zone so node names are unique",
                    ))
                all_names.setdefault(first, p_path)

        template = group.node_template
        t_path = join_path(g_path, "nodeTemplate")
        for resource, amount in sorted(template.reserved.items()):
            r_path = join_path(t_path, "reserved", resource)
            if resource not in template.capacity:
                findings.append(Finding(
                    r_path, f"reserves {resource!r}, which the capacity does not declare",
                    f"add {resource} to nodeTemplate.capacity or remove it from reserved",
                ))
            elif parse_quantity(amount) > parse_quantity(template.capacity[resource]):
                findings.append(Finding(
                    r_path,
                    f"reserved {amount} exceeds the capacity {template.capacity[resource]}",
                    "reserve at most the capacity",
                ))
        for key in ("cpu", "memory"):
            if key not in template.capacity:
                findings.append(Finding(
                    join_path(t_path, "capacity"),
                    f"capacity has no {key!r}; the scheduler would see 0 and place nothing",
                    f"declare capacity.{key}",
                ))
        taint_keys: set[tuple[str, str]] = set()
        for t_index, taint in enumerate(template.taints):
            if (taint.key, taint.effect) in taint_keys or taint.key == "kwok.x-k8s.io/node":
                findings.append(Finding(
                    join_path(t_path, "taints", t_index, "key"),
                    f"taint {taint.key}:{taint.effect} is declared twice (every node already "
                    "carries kwok.x-k8s.io/node=fake:NoSchedule)",
                    "remove the duplicate taint",
                ))
            taint_keys.add((taint.key, taint.effect))
    for w_index, workload in enumerate(cfg.workloads):
        if not (PROJECT_ROOT / workload).is_file():
            findings.append(Finding(
                join_path(path, "workloads", w_index),
                f"workload template {workload!r} does not exist",
                "give a path relative to the project directory, e.g. "
                "workloads/distributed-gpu-job-zone-affinity.yaml.tmpl",
            ))
    return findings
