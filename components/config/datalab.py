"""Config of the data-platform addons: JupyterHub, the Spark operator, Kubeflow Trainer.

Who consumes each field (rules: plan/rules/datalab.py, capacity.py, ownership.py):
- `jupyterhub.pathPrefix`: z2jh's `hub.baseUrl` and the gateway route (a path, not taken by
  another route); `storageSize`: each user's PVC (a quantity, from the default StorageClass);
  `allowedUsers|adminUsers`: the hub's Dex-backed authenticator; `profiles.*`: KubeSpawner
  profiles (requests at most limits, as the API server validates; they must fit on a node the
  stack declares, GPU profiles on a GPU node with the device plugin).
- `sparkOperator.serviceAccount`: the Spark driver ServiceAccount in every tenant namespace
  (a DNS label, not `default`, not a tenant's own account).
- `trainingOperator.torchRuntime`: Kubeflow Trainer's torch-distributed ClusterTrainingRuntime.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from components.config.base import Addon, DnsLabel, PinnedVersion, StrictModel
from components.config.k8s_values import PositiveQuantity


class NotebookProfile(StrictModel):
    """One server size users pick at start: guaranteed (requested) and limited CPU and memory."""

    # Unset: the CPU profile is on, the GPU profile when the NVIDIA device plugin is.
    enabled: bool | None = None
    cpu: PositiveQuantity = "500m"
    cpu_limit: PositiveQuantity = "2"
    memory: PositiveQuantity = "1Gi"
    memory_limit: PositiveQuantity = "4Gi"
    # nvidia.com/gpu requested (and limited) per server; 0 for a CPU server.
    gpus: int = Field(0, ge=0, le=16)


class NotebookProfiles(StrictModel):
    cpu: NotebookProfile = NotebookProfile()
    gpu: NotebookProfile = NotebookProfile(cpu="1", cpu_limit="4", memory="4Gi", memory_limit="16Gi", gpus=1)


class JupyterhubConfig(Addon):
    """JupyterHub (zero-to-jupyterhub chart) under `pathPrefix` on the gateway; users sign in
    through Dex; each user's home is a volume claimed from the default StorageClass."""

    version: PinnedVersion = "4.4.0"
    namespace: DnsLabel = "jupyterhub"
    path_prefix: str = "/jupyter/"
    storage_size: PositiveQuantity = "10Gi"
    # Dex emails allowed in; empty: everyone Dex signs in.
    allowed_users: list[str] = []
    admin_users: list[str] = []
    profiles: NotebookProfiles = NotebookProfiles()

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        parts = value.split("/")
        if (len(value) < 3 or not value.startswith("/") or not value.endswith("/")
                or not all(p and p.replace("-", "").isalnum() and p.islower() for p in parts[1:-1])):
            raise ValueError(f"pathPrefix {value!r} is not a path such as /jupyter/; use lower-case "
                             "segments between slashes, starting and ending with /")
        return value


class SparkOperatorConfig(Addon):
    """The Kubeflow Spark operator, running SparkApplications in the tenants' namespaces."""

    version: PinnedVersion = "2.5.2"
    namespace: DnsLabel = "spark-operator"
    # The account (with its Role) each tenant's Spark drivers run as, in the tenant's namespace.
    service_account: DnsLabel = "spark"


class TrainingOperatorConfig(Addon):
    """Kubeflow Trainer (TrainJob), with the PyTorch distributed runtime."""

    version: PinnedVersion = "2.2.1"
    namespace: DnsLabel = "kubeflow-system"
    # The chart's torch-distributed ClusterTrainingRuntime, which TrainJobs refer to.
    torch_runtime: bool = True
