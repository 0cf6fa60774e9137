"""The kind host kind: a local control plane in containers (KEMU's `kindConfig`).

Who consumes each field:
- `name`: `kind create cluster --name`; kind names its node containers (their hostnames and
  the Node names) `<name>-control-plane`, `<name>-worker<n>`: at most 63 characters composed
  (plan/rules/limits.py).
- `nodeImage`: the kindest/node image kind runs (pinned; its tag must be kubernetes.version,
  plan/rules/kind.py).
- `config` (`kindConfig`): kind's own Cluster config (kind.x-k8s.io/v1alpha4), verbatim;
  its nodes' labels are what node selectors can match (references.py), and nothing in it
  may hold a credential (containerdConfigPatches' registry auth: credentials.py).
- `waitSeconds`: `kind create cluster --wait`.
"""
from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator

from components.config.base import DnsLabel, StrictModel
from components.config.images import pinned_image_ref
from components.config.input_files import InputFileError, load_yaml_text
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION

# The Kubernetes version of the kind node image the emulated stack runs: the project's one pin,
# also the default of stacks made by `clusterforge import-kemu`.
KIND_KUBERNETES_VERSION = DEFAULT_KUBERNETES_VERSION
KIND_NODE_REPOSITORY = "kindest/node"


def kind_node_image(kubernetes_version: str) -> str:
    return f"{KIND_NODE_REPOSITORY}:v{kubernetes_version.lstrip('v')}"


class KindClusterConfig(StrictModel):
    """The kind host kind: a local control plane in containers (KEMU's `kindConfig`)."""

    name: DnsLabel = "clusterforge"
    # The kindest/node image, pinned by exact tag or digest (kindest/node:v1.33.1@sha256:...).
    node_image: str
    # kind's own `Cluster` config (kind.x-k8s.io/v1alpha4), verbatim; a YAML string (as
    # KEMU writes it) is parsed into a mapping.
    # Also accepted as `config`.
    kind_config: dict[str, Any] = Field(
        default_factory=lambda: {"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster"},
        validation_alias=AliasChoices("kindConfig", "config", "kind_config"),
    )
    # Seconds `kind create cluster --wait` waits for the control plane to be Ready.
    wait_seconds: int = Field(300, ge=0, le=3600)

    @field_validator("node_image")
    @classmethod
    def _pinned_node_image(cls, value: str) -> str:
        if not pinned_image_ref(value):
            raise ValueError(
                f"node image {value!r} is not pinned; give an exact tag "
                "(kindest/node:v1.33.1) or a digest (…@sha256:…)"
            )
        return value

    @field_validator("kind_config", mode="before")
    @classmethod
    def _parse_kind_config(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = load_yaml_text(value, "kindConfig")
            except InputFileError as err:
                raise ValueError(f"{err}; use a kind Cluster config") from None
        if not isinstance(value, dict):
            raise ValueError("kindConfig is not a mapping; use a kind Cluster config (kind.x-k8s.io/v1alpha4)")
        if value.get("kind") != "Cluster" or not str(value.get("apiVersion", "")).startswith(
                "kind.x-k8s.io/"):
            raise ValueError("kindConfig is not a kind Cluster config; use apiVersion kind.x-k8s.io/v1alpha4 and kind Cluster")
        return value

    @property
    def node_image_tag(self) -> str:
        """The Kubernetes version in the image tag (v1.33.1), for matching kubernetes.version."""
        ref = self.node_image.split("@", 1)[0]
        return ref.rpartition(":")[2] if ":" in ref.rpartition("/")[2] else ""
