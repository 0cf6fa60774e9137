"""The plan's table of kubeadm's images against the real kubeadm of each built release."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from components.plan.artifacts.kubeadm_images import kubeadm_images
from tests.needs import missing

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", ["kube-node", "kube-node-previous"])
def test_kubeadm_itself_lists_exactly_these_images(tool):
    """The table against the real kubeadm of each built release."""
    out = subprocess.run([ROOT / "scripts" / "toolchain.sh", "--dir", tool], capture_output=True, text=True)
    kubeadm = Path(out.stdout.strip()) / "kubeadm"
    if out.returncode or not (kubeadm.parent / ".built").is_file():
        missing(f"kubeadm not built: scripts/toolchain.sh {tool}")
    version = subprocess.run([kubeadm, "version", "-o", "short"], capture_output=True, text=True).stdout.strip()
    listed = subprocess.run([kubeadm, "config", "images", "list", "--kubernetes-version", version],
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == [a.reference for a in kubeadm_images(version)]
    mirrored = subprocess.run([kubeadm, "config", "images", "list", "--kubernetes-version", version,
                               "--image-repository", "10.213.1.1:5000/k8s"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert mirrored == [a.pulled_as for a in kubeadm_images(version, "10.213.1.1:5000/k8s")]
