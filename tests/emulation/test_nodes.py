"""Node generation: names, labels, taints, capacity, providerID; every Node schema-valid."""
from __future__ import annotations

import time
import tracemalloc
from decimal import Decimal

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterforge.validate import validate_object
from components.config.emulation import EmulationConfig, parse_quantity
from components.plan.emulation.nodes import allocatable, emulation_specs, format_quantity, group_nodes

from .helpers import KUBERNETES_VERSION, emulation, group

LABEL_VALUE = st.from_regex(r"^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?$", fullmatch=True)
DNS = st.from_regex(r"^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$", fullmatch=True)
groups = st.builds(
    lambda name, zones, cpu, mem_gi, gpus, res_cpu_m, labels, arch, taint, cond: {
        "name": name,
        "placement": [{"availabilityZone": z, "replicas": n} for z, n in zones.items()],
        "nodeTemplate": {
            "metadata": {"labels": labels, "annotations": {"example.com/rack": "r1"}},
            "capacity": {"cpu": cpu, "memory": f"{mem_gi}Gi", "ephemeralStorage": "1Ti",
                         "nvidia.com/gpu": gpus, "pods": 110},
            "reserved": {"cpu": f"{res_cpu_m}m", "memory": "1Gi"},
            "architecture": arch,
            "taints": [taint] if taint else [],
            "conditions": [cond] if cond else [],
        },
    },
    DNS,
    st.dictionaries(DNS, st.integers(min_value=0, max_value=4), min_size=1, max_size=3),
    st.integers(min_value=1, max_value=256),
    st.integers(min_value=2, max_value=4096),
    st.integers(min_value=0, max_value=8),
    st.integers(min_value=0, max_value=999),
    st.dictionaries(st.sampled_from(["datastrophic.io/gpu-type", "example.com/pool", "tier"]),
                    LABEL_VALUE, max_size=3),
    st.sampled_from(["amd64", "arm64"]),
    st.one_of(st.none(), st.builds(lambda v, e: {"key": "example.com/dedicated", "value": v, "effect": e},
                                   LABEL_VALUE, st.sampled_from(["NoSchedule", "NoExecute"]))),
    st.one_of(st.none(), st.just({"type": "GPUHealthy", "status": "True", "reason": "Checked"})),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups, st.one_of(st.none(), st.just("us-east1")))
def test_generated_nodes_follow_the_group(data, region):
    cfg = EmulationConfig.model_validate({"nodeGroups": [data], "region": region})
    spec = emulation_specs(cfg, KUBERNETES_VERSION)[0]
    nodes = group_nodes(spec)
    tmpl = data["nodeTemplate"]
    expected_names = [f"{data['name']}-{p['availabilityZone']}-{i}"
                      for p in data["placement"] for i in range(p["replicas"])]
    assert [n["metadata"]["name"] for n in nodes] == expected_names

    for node in nodes:
        name = node["metadata"]["name"]
        labels = node["metadata"]["labels"]
        zone = name[len(data["name"]) + 1:name.rindex("-")]
        assert {k: labels[k] for k in tmpl["metadata"]["labels"]} == tmpl["metadata"]["labels"]
        assert labels["type"] == "kwok"
        assert labels["kubernetes.io/hostname"] == name
        assert labels["node.kubernetes.io/instance-type"] == data["name"]
        assert labels["topology.kubernetes.io/zone"] == zone
        assert labels.get("topology.kubernetes.io/region") == region
        assert labels["kubernetes.io/os"] == "linux"
        assert labels["kubernetes.io/arch"] == tmpl["architecture"]
        assert node["metadata"]["annotations"] == {"example.com/rack": "r1", "kwok.x-k8s.io/node": "fake"}
        assert node["spec"]["providerID"] == f"kwok://{name}"
        taints = node["spec"]["taints"]
        assert taints[0] == {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
        assert taints[1:] == tmpl["taints"]
        status = node["status"]
        assert status["capacity"]["ephemeral-storage"] == "1Ti"
        assert status["capacity"]["nvidia.com/gpu"] == str(tmpl["capacity"]["nvidia.com/gpu"])
        for resource, amount in status["capacity"].items():
            reserved = {"cpu": Decimal(tmpl["reserved"]["cpu"][:-1]) / 1000, "memory": Decimal(2**30)}
            assert parse_quantity(status["allocatable"][resource]) == \
                parse_quantity(amount) - reserved.get(resource, 0)
        assert status["nodeInfo"]["architecture"] == tmpl["architecture"]
        assert [c["type"] for c in status.get("conditions", [])] == [c["type"] for c in tmpl["conditions"]]
        assert validate_object(node, KUBERNETES_VERSION, None) == []


def test_kemu_gcp_large_shape_counts_and_first_last_names():
    cfg = emulation(group("a2-ultragpu-8g", {"use1": 500, "use2": 500, "use3": 500}),
                    group("a3-highgpu-8g", {"use1": 250, "use2": 250, "use3": 250}),
                    group("a3-ultragpu-8g", {"use1": 100, "use2": 100, "use3": 100}))
    nodes = [n for s in emulation_specs(cfg, KUBERNETES_VERSION) for n in group_nodes(s)]
    assert len(nodes) == 2550
    names = [n["metadata"]["name"] for n in nodes]
    assert len(set(names)) == 2550
    assert names[0] == "a2-ultragpu-8g-use1-0" and names[-1] == "a3-ultragpu-8g-use3-99"


def test_nodes_share_no_nested_objects_so_yaml_has_no_aliases():
    spec = emulation_specs(emulation(group(zones={"use1": 2})), KUBERNETES_VERSION)[0]
    text = yaml.safe_dump_all(group_nodes(spec))
    assert "&id" not in text and "*id" not in text


def test_generation_is_deterministic():
    spec = emulation_specs(emulation(group(zones={"use1": 3})), KUBERNETES_VERSION)[0]
    assert group_nodes(spec) == group_nodes(spec)


def test_ten_thousand_nodes_generate_fast_and_small():
    cfg = emulation(group("a100", {"use1": 3400, "use2": 3300, "use3": 3300}))
    tracemalloc.start()
    started = time.perf_counter()
    nodes = group_nodes(emulation_specs(cfg, KUBERNETES_VERSION)[0])
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(nodes) == 10_000
    assert elapsed < 5, f"10,000 nodes took {elapsed:.1f}s"
    assert peak < 500 * 2**20, f"10,000 nodes peaked at {peak / 2**20:.0f} MiB"


def test_allocatable_is_capacity_minus_reserved_in_canonical_units():
    assert allocatable({"cpu": "96", "memory": "1360Gi", "pods": "110"},
                       {"cpu": "500m", "memory": "2Gi"}) == {"cpu": "95500m", "memory": "1358Gi", "pods": "110"}
    assert format_quantity(Decimal(2**30) * 3, "3Gi") == "3Gi"
    assert format_quantity(Decimal(1536) * 2**20, "2Gi") == "1536Mi"
    assert format_quantity(Decimal(0), "1Gi") == "0"
