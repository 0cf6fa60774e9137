"""The emulation section and kind host kind models: pure validation and cross-field rules."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from components.config.emulation import (
    EmulationConfig,
    KindClusterConfig,
    load_kemu_file,
    parse_quantity,
    resource_name,
)

from components.config.emulation_rules import emulation_findings

from .helpers import emulation, group


@pytest.mark.parametrize("text, value", [
    ("96", Decimal(96)), ("500m", Decimal("0.5")), ("1360Gi", Decimal(1360 * 2**30)),
    ("3Ti", Decimal(3 * 2**40)), ("1.5", Decimal("1.5")), ("2k", Decimal(2000)),
    ("1e3", Decimal(1000)), ("128974848", Decimal(128974848)), ("100M", Decimal(10**8)),
])
def test_quantities_parse_like_kubernetes(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "-1", "1 Gi", "1GB", "Gi", "1.2.3", "ten", "1Kb", "0x10"])
def test_invalid_quantities_are_refused(text):
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(text)


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "Ki", "Mi", "Gi", "Ti", "m", "k", "M", "G"]))
def test_quantity_grammar_accepts_number_and_suffix(number, suffix):
    assert parse_quantity(f"{number}{suffix}") >= 0


@pytest.mark.parametrize("key, name", [
    ("ephemeralStorage", "ephemeral-storage"), ("nvidia.com/gpu", "nvidia.com/gpu"),
    ("cpu", "cpu"), ("ephemeral-storage", "ephemeral-storage"), ("hugepages2Mi", "hugepages-2Mi"),
    ("hugepages-1Gi", "hugepages-1Gi"), ("amd.com/gpu", "amd.com/gpu"),
])
def test_kemu_capacity_keys_map_to_resource_names(key, name):
    assert resource_name(key) == name


def test_capacity_numbers_become_quantity_text_and_keys_are_mapped():
    cfg = emulation(group(capacity={"cpu": 96, "memory": "1360Gi", "ephemeralStorage": "3Ti",
                                    "nvidia.com/gpu": 8, "pods": 110}))
    assert cfg.node_groups[0].node_template.capacity == {
        "cpu": "96", "memory": "1360Gi", "ephemeral-storage": "3Ti", "nvidia.com/gpu": "8", "pods": "110"}


def test_defaults_are_linux_amd64_not_kemus_arm64():
    template = emulation(group()).node_groups[0].node_template
    assert (template.architecture, template.operating_system) == ("amd64", "linux")


def _errors(data) -> list[tuple]:
    with pytest.raises(ValidationError) as info:
        EmulationConfig.model_validate(data)
    return [tuple(e["loc"]) for e in info.value.errors()]


def test_bad_quantity_names_its_path():
    locs = _errors({"nodeGroups": [group(capacity={"cpu": "lots", "memory": "1Gi", "pods": 1})]})
    assert ("nodeGroups", 0, "nodeTemplate", "capacity", "cpu") in locs


def test_same_resource_spelled_twice_is_refused():
    locs = _errors({"nodeGroups": [group(capacity={"ephemeralStorage": "1Ti", "ephemeral-storage": "1Ti",
                                                   "cpu": 1, "memory": "1Gi", "pods": 1})]})
    assert ("nodeGroups", 0, "nodeTemplate", "capacity") in locs


def test_unknown_keys_and_bad_zone_are_refused():
    bad = group(zones={"US_East": 1})
    bad["nodeTemplate"]["color"] = "blue"
    locs = _errors({"nodeGroups": [bad]})
    assert ("nodeGroups", 0, "placement", 0, "availabilityZone") in locs
    assert ("nodeGroups", 0, "nodeTemplate", "color") in locs


def test_unpinned_kwok_image_is_refused():
    assert ("kwok", "image") in _errors({"kwok": {"image": "registry.k8s.io/kwok/kwok:latest"}})
    assert ("kwok", "version") in _errors({"kwok": {"version": "0.8"}})


def _paths(cfg) -> list[str]:
    return sorted(f.path for f in emulation_findings(cfg))


def test_valid_section_has_no_findings():
    assert _paths(emulation(group("a100", {"use1": 500, "use2": 500}), group("h100"))) == []


def test_cross_field_rules_report_every_problem_at_once():
    cfg = emulation(
        group("a100", {"use1": 1, "use2": 2}),
        group("a100", {"use1": 1, "use1x": 1}),  # duplicate group name
        group("h100", {"use1": 1, "use2": 1}, reserved={"cpu": 200, "nvidia.com/gpu": 1,
                                                        "hugepages-2Mi": "2Mi"},
              capacity={"cpu": 96, "memory": "1Gi", "pods": 10}),
        group("h200", {"use1": 1}, taints=[{"key": "kwok.x-k8s.io/node", "effect": "NoSchedule"}],
              capacity={"memory": "1Gi"}),  # no cpu
    )
    assert _paths(cfg) == [
        "emulation.nodeGroups[1].name",
        "emulation.nodeGroups[2].nodeTemplate.reserved.cpu",
        "emulation.nodeGroups[2].nodeTemplate.reserved.hugepages-2Mi",
        "emulation.nodeGroups[2].nodeTemplate.reserved.nvidia.com/gpu",
        "emulation.nodeGroups[3].nodeTemplate.capacity",
        "emulation.nodeGroups[3].nodeTemplate.taints[0].key",
    ]


def test_duplicate_zone_and_too_long_names():
    long_group = "g" * 50
    cfg = emulation(group("a100", {"use1": 1, "use2": 1}) | {"placement": [
        {"availabilityZone": "use1", "replicas": 1}, {"availabilityZone": "use1", "replicas": 2}]},
        group(long_group, {"us-east1-zone-b": 1000}))
    findings = {f.path: f for f in emulation_findings(cfg)}
    assert set(findings) == {"emulation.nodeGroups[0].placement[1].availabilityZone",
                             "emulation.nodeGroups[1].placement[0].availabilityZone"}
    assert "more than 63" in findings["emulation.nodeGroups[1].placement[0].availabilityZone"].message


def test_colliding_node_names_across_groups():
    cfg = emulation(group("a-b", {"c": 1}), group("a", {"b-c": 1}))
    assert _paths(cfg) == ["emulation.nodeGroups[1].placement[0].availabilityZone"]


def test_missing_workload_template_is_a_finding():
    cfg = emulation(group(), workloads=["workloads/no-such-file.yaml"])
    assert _paths(cfg) == ["emulation.workloads[0]"]


def test_kemu_document_is_accepted_as_the_section(tmp_path):
    doc = {"apiVersion": "kemu.datastrophic.io/v1alpha1", "kind": "ClusterConfig",
           "spec": {"nodeGroups": [group("a100", {"use1": 2})]}}
    assert EmulationConfig.model_validate(doc).total_nodes == 2
    path = tmp_path / "kemu.yaml"
    import yaml
    path.write_text(yaml.safe_dump({**doc, "spec": {**doc["spec"], "kindConfig": "kind: Cluster\n"}}))
    assert load_kemu_file(str(path)).total_nodes == 2


def test_kemu_document_with_addons_points_to_import():
    doc = {"apiVersion": "kemu.datastrophic.io/v1alpha1", "kind": "ClusterConfig",
           "spec": {"nodeGroups": [], "clusterAddons": [{"name": "x"}]}}
    with pytest.raises(ValidationError, match="import-kemu"):
        EmulationConfig.model_validate(doc)


def test_kind_config_accepts_kemu_string_and_mapping():
    text = "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes:\n- role: control-plane\n"
    a = KindClusterConfig.model_validate({"nodeImage": "kindest/node:v1.35.1", "kindConfig": text})
    b = KindClusterConfig.model_validate({"nodeImage": "kindest/node:v1.35.1",
                                          "config": {"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster",
                                                     "nodes": [{"role": "control-plane"}]}})
    assert a.kind_config == b.kind_config
    assert a.node_image_tag == "v1.35.1"


@pytest.mark.parametrize("image", ["kindest/node", "kindest/node:latest", "kindest/node:v1.35"])
def test_kind_node_image_must_be_pinned(image):
    with pytest.raises(ValidationError, match="not pinned"):
        KindClusterConfig.model_validate({"nodeImage": image})


def test_digest_pinned_node_image_is_accepted():
    ref = "kindest/node:v1.35.1@sha256:" + "a" * 64
    assert KindClusterConfig.model_validate({"nodeImage": ref}).node_image_tag == "v1.35.1"


def test_capacity_without_pods_gets_the_kubelet_default():
    cfg = emulation(group(capacity={"cpu": 8, "memory": "32Gi"}))
    assert cfg.node_groups[0].node_template.capacity["pods"] == "110"
    assert emulation_findings(cfg) == []


@pytest.mark.parametrize("field, value", [
    (("nodeTemplate", "metadata", "labels"), {"gpu type": "a100"}),
    (("nodeTemplate", "metadata", "labels"), {"gpu": "nvidia a100"}),
    (("region",), "us east"),
    (("instanceType",), "x" * 64),
])
def test_label_keys_and_values_are_checked(field, value):
    data = group()
    target = data
    for key in field[:-1]:
        target = target.setdefault(key, {})
    target[field[-1]] = value
    locs = _errors({"nodeGroups": [data]})
    assert any(loc[:2 + len(field)] == ("nodeGroups", 0, *field) for loc in locs), locs
