"""`clusterforge artifacts`: the list, and a bundle made from what this machine has built."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from clusterforge.cli import main
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION
from tests.needs import missing

SHARED_CHARTS = Path(__file__).resolve().parents[3] / "shared" / "charts"


# The stacks' one pinned release, which the toolchain's kube-node tool builds.
V = DEFAULT_KUBERNETES_VERSION


def _output(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return captured.out, captured.err


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A toolchain cache as scripts/toolchain.sh leaves it: stamped dirs, an images index."""
    root = tmp_path / "toolchain"
    node = root / f"kube-node-v{V}-go1.26.8"
    images = root / f"node-images-v{V}+etcd3.6.8+coredns1.14.2+pause3.10.2-go1.26.8"
    unfinished = root / "runc-v1.5.3-go1.26.8"  # no stamp: an interrupted build is never taken
    for d in (node, images, unfinished):
        d.mkdir(parents=True)
    for name in ("kubelet", "kubeadm", "kubectl", "kube-proxy"):
        (node / name).write_bytes(f"{name} v{V}".encode())
        (node / name).chmod(0o755)
    (unfinished / "runc").write_bytes(b"half")
    (unfinished / "runc").chmod(0o755)
    (node / ".built").write_text(f"kube-node v{V} 80s\n")
    (images / "pause_3.10.2.tar").write_bytes(b"pause image")
    (images / "images.tsv").write_text("registry.k8s.io/pause:3.10.2\tpause_3.10.2.tar\tsha256:00\n")
    (images / ".built").write_text(f"node-images v{V}+etcd3.6.8+coredns1.14.2+pause3.10.2 30s\n")
    monkeypatch.setenv("CLUSTERFORGE_TOOLCHAIN_DIR", str(root))
    return root


def test_text_lists_every_kind_with_versions(capsys):
    assert main(["artifacts", "homelab"]) == 0
    out, _ = _output(capsys)
    for heading in ("packages:", "binaries:", "images:", "charts:", "manifests:"):
        assert heading in out
    assert "registry.k8s.io/etcd:3.6.8-0  [kubeadm]" in out
    assert f"kubelet {V}" in out and "tigera-operator v3.30.3" in out


def test_json_is_the_plans_list(capsys):
    assert main(["artifacts", "onprem", "--format", "json"]) == 0
    out, _ = _output(capsys)
    doc = json.loads(out)
    assert doc["stack"] == "onprem" and doc["kubernetesVersion"] == V
    assert {"kind": "image", "name": "registry.k8s.io/pause", "version": "3.10.2", "source": "registry.k8s.io",
            "neededBy": "kubeadm"} in doc["artifacts"]


def test_bundle_copies_what_is_built_and_lists_the_rest_as_missing(cache, tmp_path, capsys):
    bundle = tmp_path / "bundle"
    assert main(["artifacts", "homelab", "--bundle", str(bundle)]) == 1  # incomplete: says so
    _, err = _output(capsys)
    manifest = json.loads((bundle / "manifest.json").read_text())
    by_ref = {(e["kind"], e["name"]): e for e in manifest["artifacts"]}
    kubelet = by_ref[("binary", "kubelet")]
    assert kubelet["status"] == "included" and (bundle / kubelet["path"]).read_bytes() == f"kubelet v{V}".encode()
    assert kubelet["sha256"] == hashlib.sha256(f"kubelet v{V}".encode()).hexdigest()
    assert by_ref[("image", "registry.k8s.io/pause")]["path"] == "images/pause_3.10.2.tar"
    assert by_ref[("binary", "runc")]["status"] == "missing"  # its build never finished
    etcd = by_ref[("image", "registry.k8s.io/etcd")]
    assert etcd["status"] == "missing" and "registry.k8s.io" in etcd["reason"]
    assert by_ref[("package", "containerd.io")]["reason"].startswith("not pinned")
    assert manifest["included"] == 4 and manifest["missing"] == len(manifest["artifacts"]) - 4
    assert f"{manifest['missing']} missing" in err
    # A second bundle replaces the first whole.
    (bundle / "stale").write_text("x")
    assert main(["artifacts", "homelab", "--bundle", str(bundle)]) == 1
    assert not (bundle / "stale").exists()


def test_charts_come_from_a_chart_directory(cache, tmp_path, capsys):
    if not (SHARED_CHARTS / "metallb-0.15.2.tgz").is_file():
        missing(f"the upstream chart packages are not in {SHARED_CHARTS}")  # fails under CI
    bundle = tmp_path / "bundle"
    main(["artifacts", "homelab", "--bundle", str(bundle), "--charts", str(SHARED_CHARTS)])
    _output(capsys)
    charts = {e["name"]: e for e in json.loads((bundle / "manifest.json").read_text())["artifacts"]
              if e["kind"] == "chart"}
    assert charts["metallb"]["path"] == "charts/metallb-0.15.2.tgz"
    assert charts["dex"]["status"] == "missing" and "helm pull" in charts["dex"]["reason"]


def test_a_bundle_never_replaces_a_directory_it_did_not_write(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("keep me")
    assert main(["artifacts", "homelab", "--bundle", str(target)]) == 2
    _, err = _output(capsys)
    assert "nothing was changed" in err and (target / "keep.txt").read_text() == "keep me"


@pytest.mark.parametrize("argv, message", [
    (["artifacts", "nope"], "no stack named 'nope'"),
    (["artifacts", "homelab", "--charts", "/nonexistent"], "--charts /nonexistent: not a directory"),
])
def test_bad_input_is_a_usage_error(argv, message, capsys):
    assert main(argv) == 2
    _, err = _output(capsys)
    assert message in err
