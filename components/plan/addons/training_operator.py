"""Kubeflow Trainer: TrainJobs (distributed PyTorch among them) in any namespace.

Chosen over the older training-operator (PyTorchJob), which publishes no Helm chart:
Trainer's chart is released with each version as an OCI artifact. It brings JobSet as
a dependency, its CRDs in crds/, and the `torch-distributed` ClusterTrainingRuntime
that TrainJobs refer to.
"""
from __future__ import annotations

from components.plan.addons.spec import AddonSpec, merge_values

REPOSITORY = "oci://ghcr.io/kubeflow/charts"
RELEASE = "kubeflow-trainer"
TORCH_RUNTIME = "torch-distributed"


def training_operator(cfg) -> AddonSpec:
    t = cfg.addons.training_operator
    values = {"runtimes": {"torchDistributed": {"enabled": t.torch_runtime}}}
    return AddonSpec(key="trainingOperator", release=RELEASE, namespace=t.namespace, chart="kubeflow-trainer",
                     repository=REPOSITORY, version=t.version, values=merge_values(values, t.values))
