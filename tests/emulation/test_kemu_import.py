"""KEMU ClusterConfig files: accepted as the emulation section and converted to stacks."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusterforge import kemu_import
from components.config import ConfigError
from components.plan.load import load_stack_config
from components.config.addons import AddonsConfig
from components.config.emulation import EmulationConfig, load_kemu_file
from components.plan.emulation.nodes import emulation_specs, group_nodes

from .helpers import KUBERNETES_VERSION

KEMU_FILE = Path(__file__).parent / "data" / "kemu-with-addons.yaml"


def _nodes(cfg: EmulationConfig) -> list[dict]:
    return [n for s in emulation_specs(cfg, KUBERNETES_VERSION) for n in group_nodes(s)]


def _kemu_reference_names(document: dict) -> list[str]:
    # KEMU's own naming: {group}-{zone}-{i} for i in 0..replicas-1, zone by zone.
    return [f"{g['name']}-{p['availabilityZone']}-{i}"
            for g in document["spec"]["nodeGroups"] for p in g["placement"] for i in range(p["replicas"])]


def _kemu_file(tmp_path: Path, keep_charts: bool) -> Path:
    """The KEMU file; without its Helm addons until the addons model accepts them."""
    if keep_charts:
        return KEMU_FILE
    document = yaml.safe_load(KEMU_FILE.read_text())
    document["spec"]["clusterAddons"] = document["spec"]["clusterAddons"][:1]  # KWOK's chart only
    path = tmp_path / "kemu.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_import_writes_a_stack_whose_nodes_equal_the_kemu_files(tmp_path, capsys):
    source = _kemu_file(tmp_path, keep_charts="charts" in AddonsConfig.model_fields)
    assert kemu_import.main([str(source), "--stack", "kemu", "--root", str(tmp_path)]) == 0
    written = yaml.safe_load((tmp_path / "stacks" / "Pulumi.kemu.yaml").read_text())["config"]
    imported = EmulationConfig.model_validate(written["clusterforge:emulation"])
    direct = load_kemu_file(str(KEMU_FILE))
    assert _nodes(imported) == _nodes(direct)
    document = yaml.safe_load(KEMU_FILE.read_text())
    assert [n["metadata"]["name"] for n in _nodes(imported)] == _kemu_reference_names(document)
    node = _nodes(imported)[0]
    assert node["status"]["capacity"]["ephemeral-storage"] == "3Ti"  # KEMU camelCase mapped
    assert node["metadata"]["labels"]["datastrophic.io/gpu-type"] == "nvidia-a100-80gb"
    assert "dropped" in capsys.readouterr().err  # KWOK's chart: we install KWOK ourselves


def test_addons_and_kind_config_are_carried_over():
    doc, notes = kemu_import.convert(yaml.safe_load(KEMU_FILE.read_text()), "kemu")
    cfg = doc["config"]
    assert cfg["clusterforge:hosts"]["kindCluster"]["kindConfig"]["nodes"] == [{"role": "control-plane"}]
    addons = cfg["clusterforge:addons"]
    assert addons["prometheus"] == {"enabled": True, "version": "75.16.1",
                                    "values": {"alertmanager": {"enabled": False}}}
    assert addons["charts"] == [{
        "name": "kueue", "namespace": "kueue-system", "repository": "oci://registry.k8s.io/kueue/charts",
        "chart": "kueue", "version": "0.13.4", "values": {"controllerManager": {"replicas": 1}}}]
    assert len(notes) == 1


def test_imported_stack_validates_with_the_full_model():
    assert "charts" in AddonsConfig.model_fields
    doc, _ = kemu_import.convert(yaml.safe_load(KEMU_FILE.read_text()), "kemu")
    cfg = load_stack_config({k.split(":", 1)[1]: v for k, v in doc["config"].items()})
    assert cfg.emulation is not None and cfg.emulation.total_nodes == 9


def test_emulation_section_given_as_a_kemu_document_without_addons():
    document = yaml.safe_load(KEMU_FILE.read_text())
    del document["spec"]["clusterAddons"], document["spec"]["kindConfig"]
    assert _nodes(EmulationConfig.model_validate(document)) == _nodes(load_kemu_file(str(KEMU_FILE)))


def test_invalid_kemu_file_fails_with_paths(tmp_path, capsys):
    document = yaml.safe_load(KEMU_FILE.read_text())
    document["spec"]["nodeGroups"][0]["nodeTemplate"]["capacity"]["memory"] = "lots"
    document["spec"]["clusterAddons"] = []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    assert kemu_import.main([str(bad), "--stack", "bad", "--root", str(tmp_path)]) == 1
    assert "clusterforge:emulation.nodeGroups[0].nodeTemplate.capacity.memory" in capsys.readouterr().err
    assert not (tmp_path / "stacks" / "Pulumi.bad.yaml").exists()


def test_not_a_kemu_file_and_existing_stack(tmp_path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text("apiVersion: v1\nkind: ConfigMap\n")
    assert kemu_import.main([str(other), "--stack", "x", "--root", str(tmp_path)]) == 1
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.x.yaml").write_text("config: {}\n")
    assert kemu_import.main([str(KEMU_FILE), "--stack", "x", "--root", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err


def test_config_error_type_is_what_render_reports():
    with pytest.raises(ConfigError):
        load_stack_config({"emulation": {"nodeGroups": "x"}})
