"""The `emulation` section (KWOK node groups) and the kind host kind's settings.

Node groups keep KEMU's shape (datastrophic/kemu `nodeGroups`: name, placement per
availability zone, nodeTemplate with metadata and capacity) so KEMU files paste in
unchanged, and extend it with what real clusters need: taints, reserved resources
(allocatable = capacity - reserved), architecture and OS, region and extra conditions.
A whole KEMU `ClusterConfig` document is accepted too (see `_from_kemu`).

Who consumes each field (rules: emulation_rules.py, plan/rules/capacity.py, references.py):
- `nodeGroups[].name|placement[].availabilityZone|replicas`: the KWOK Node objects, named
  `<group>-<zone>-<index>` (a DNS label: at most 63 characters composed); zone and region
  labels (label values).
- `nodeTemplate.capacity|reserved`: the Nodes' `status.capacity` and allocatable
  (resource names and quantities as the API server validates them; reserved within capacity);
  what tenants' and notebooks' requests must fit on.
- `nodeTemplate.metadata.labels|annotations|taints|conditions`: the Nodes' metadata and
  status (the API server's syntax), matched by node selectors in chart values.
- `kwok.version|image|podStages|namespace`: the KWOK controller and its Stages (pinned).
- `workloads[]`: templates `clusterforge experiment` submits (files that must exist).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.config.base import DnsLabel, PinnedVersion, StrictModel
from components.config.images import pinned_image_ref
from components.config.input_files import read_yaml_file
from components.config.k8s_names import (Annotations, LabelKey, Labels, LabelValue, dns1123_label_errors,
                                         invalid)
from components.config.k8s_values import parse_quantity
from components.config.kemu import KEMU_API_VERSION, from_kemu, is_kemu_document
from components.config.kind_cluster import KindClusterConfig
from components.config.node_resources import Resources, resource_name

__all__ = ["EmulationConfig", "KindClusterConfig", "NodeGroup", "load_kemu_file", "node_name", "parse_quantity",
           "resource_name"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KWOK_VERSION = "v0.8.0"
DEFAULT_MAX_PODS = "110"
KWOK_IMAGE_REPOSITORY = "registry.k8s.io/kwok/kwok"

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


def load_kemu_file(path: str) -> EmulationConfig:
    """Read a KEMU ClusterConfig file as the emulation section (its node groups)."""
    document = read_yaml_file(Path(path))
    if not is_kemu_document(document):
        raise ValueError(f"{path}: not a KEMU ClusterConfig (apiVersion {KEMU_API_VERSION})")
    spec = dict(document.get("spec") or {})
    return EmulationConfig.model_validate({"nodeGroups": spec.get("nodeGroups") or []})


def node_name(group: str, zone: str, index: int) -> str:
    """KEMU's node naming: `{group}-{zone}-{index}`, index from 0 within the zone."""
    return f"{group}-{zone}-{index}"


