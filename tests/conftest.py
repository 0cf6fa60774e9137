"""Shared test fixtures: where the upstream CRD schemas are, and the project root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Upstream CRDs are data shared beside the repo, never committed into it.
CRD_DIR = Path(os.environ.get("CLUSTERFORGE_CRD_SCHEMAS", ROOT.parent / "shared" / "schemas" / "crds"))


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    if not any(CRD_DIR.glob("*.yaml")):
        pytest.skip(f"upstream CRD schemas not found at {CRD_DIR} (set CLUSTERFORGE_CRD_SCHEMAS)")
    return CRD_DIR


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
