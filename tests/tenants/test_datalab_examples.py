"""The example SparkApplication and TrainJob a datalab tenant submits: in a tenant's
namespace, with the tenant's Spark account, and fitting the tenant's quota and limit range.

Their CRDs (sparkoperator.k8s.io, trainer.kubeflow.org) are not among the upstream schemas
in ../shared/schemas/crds, so `clusterforge check` cannot validate them; these tests check
what the stack decides about them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusterforge.stackfile import prepare_offline, read_stack
from components.plan.addons.training_operator import TORCH_RUNTIME
from components.config.k8s_values import parse_quantity

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "datalab"


@pytest.fixture(scope="module")
def cfg():
    return prepare_offline(read_stack("datalab"))[0]


def _load(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def _tenant(cfg, doc):
    tenants = {t.name: t for t in cfg.tenants}
    namespace = doc["metadata"]["namespace"]
    assert namespace in tenants, f"{namespace} is not a tenant of datalab"
    return tenants[namespace]


def _spark_memory(role: dict):
    """A Spark pod's memory: the JVM's plus the overhead (Spark's default: 10%, at least 384Mi)."""
    memory = parse_quantity(role["memory"].replace("g", "Gi").replace("m", "Mi"))
    overhead = role.get("memoryOverhead")
    extra = parse_quantity(overhead.replace("g", "Gi").replace("m", "Mi")) if overhead else max(
        memory / 10, parse_quantity("384Mi"))
    return memory + extra


def test_the_spark_example_runs_as_the_tenants_spark_account(cfg):
    doc = _load("spark-pi.yaml")
    assert (doc["apiVersion"], doc["kind"]) == ("sparkoperator.k8s.io/v1beta2", "SparkApplication")
    _tenant(cfg, doc)  # the namespace is a tenant's
    assert doc["spec"]["driver"]["serviceAccount"] == cfg.addons.spark_operator.service_account
    assert doc["spec"]["mode"] == "cluster"


def test_the_spark_example_fits_the_tenants_quota_and_limit_range(cfg):
    doc = _load("spark-pi.yaml")
    tenant = _tenant(cfg, doc)
    driver, executor = doc["spec"]["driver"], doc["spec"]["executor"]
    pods = [driver] + [executor] * executor["instances"]
    for role in (driver, executor):
        # The quota counts CPU limits: without coreLimit a pod takes the LimitRange's default,
        # which must then not sit below its request.
        limit = parse_quantity(role["coreLimit"])
        assert limit >= parse_quantity(str(role["cores"]))
    cpu = sum(parse_quantity(p["coreLimit"]) for p in pods)
    memory = sum(_spark_memory(p) for p in pods)
    assert cpu <= parse_quantity(tenant.quota.cpu)
    assert memory <= parse_quantity(tenant.quota.memory)
    assert len(pods) <= tenant.quota.pods


def test_the_pytorch_example_uses_the_trainer_runtime_and_fits_the_quota(cfg):
    doc = _load("pytorch-trainjob.yaml")
    assert (doc["apiVersion"], doc["kind"]) == ("trainer.kubeflow.org/v1alpha1", "TrainJob")
    tenant = _tenant(cfg, doc)
    assert doc["spec"]["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                                         "name": TORCH_RUNTIME}
    assert cfg.addons.training_operator.torch_runtime  # the stack installs that runtime
    trainer = doc["spec"]["trainer"]
    nodes = trainer["numNodes"]
    assert nodes >= 2  # distributed
    resources = trainer["resourcesPerNode"]
    assert resources["requests"] == resources["limits"]
    for key in ("cpu", "memory"):
        assert nodes * parse_quantity(resources["limits"][key]) <= parse_quantity(getattr(tenant.quota, key))
    gpus = parse_quantity(resources["limits"].get("nvidia.com/gpu", "0"))
    assert nodes * gpus <= tenant.quota.gpus


@pytest.mark.parametrize("name", ["spark-pi.yaml", "pytorch-trainjob.yaml"])
def test_examples_pin_their_images(name):
    doc = _load(name)
    image = doc["spec"].get("image") or doc["spec"]["trainer"]["image"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
