"""An addons-wide chart source: a directory of packaged charts or one mirror repository."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack
from components.config.base import ConfigError
from components.plan.load import load_stack_config
from tests.needs import missing

SHARED_CHARTS = Path(__file__).resolve().parents[2].parent / "shared" / "charts"


def _homelab(source: dict) -> dict:
    config = copy.deepcopy(read_stack("homelab").namespaced())
    config["addons"]["chartSource"] = source
    return config


def _messages(config: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_stack_config(config)
    return [str(f) for f in err.value.findings]


def test_a_directory_must_hold_every_enabled_package(tmp_path):
    (tmp_path / "metallb-0.15.2.tgz").write_bytes(b"")
    found = [m for m in _messages(_homelab({"directory": str(tmp_path)}))
             if m.startswith("clusterforge:addons.chartSource.directory")]
    assert len(found) == 1
    assert "kube-prometheus-stack-77.6.2.tgz" in found[0] and "metallb-0.15.2.tgz" not in found[0]
    assert "fix: add those packages" in found[0]


def test_a_missing_directory_is_named(tmp_path):
    found = _messages(_homelab({"directory": str(tmp_path / "nowhere")}))
    assert any(m.startswith("clusterforge:addons.chartSource.directory:") and "is not a directory" in m
               for m in found)


@pytest.mark.parametrize("source, fragment", [
    ({}, "exactly one of directory"),
    ({"directory": "/srv/charts", "repository": "https://charts.example.com"}, "exactly one of directory"),
    ({"repository": "http://charts.example.com"}, "not an https:// or oci:// URL"),
])
def test_source_shape(source, fragment):
    assert any(m.startswith("clusterforge:addons.chartSource") and fragment in m
               for m in _messages(_homelab(source)))


def test_a_mirror_replaces_every_repository():
    config = _homelab({"repository": "https://charts.mirror.example/all"})
    rec = run_stack("homelab", {"addons": config["addons"]})
    releases = rec.of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    assert {r.inputs["repositoryOpts"]["repo"] for r in releases} == {"https://charts.mirror.example/all"}


def test_a_directory_installs_the_local_packages(tmp_path):
    config = copy.deepcopy(read_stack("emulated-kwok").namespaced())
    (tmp_path / "kube-prometheus-stack-77.6.2.tgz").write_bytes(b"")
    config["addons"]["chartSource"] = {"directory": str(tmp_path)}
    rec = run_stack("emulated-kwok", {"addons": config["addons"]})
    release = rec.named("kube-prometheus-stack")
    assert release.inputs["chart"] == f"{tmp_path}/kube-prometheus-stack-77.6.2.tgz"
    assert "repositoryOpts" not in release.inputs


def test_the_shared_upstream_packages_serve_the_emulated_kwok_stack():
    if not SHARED_CHARTS.is_dir():
        missing(f"the upstream chart packages are not at {SHARED_CHARTS}")
    config = copy.deepcopy(read_stack("emulated-kwok").namespaced())
    config["addons"]["chartSource"] = {"directory": str(SHARED_CHARTS)}
    load_stack_config(config)  # no finding: the real package of the pinned version is there
