"""Shared test fixtures: where the upstream CRD schemas are, and the project root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.needs import missing

ROOT = Path(__file__).resolve().parent.parent
# Upstream CRDs are data shared beside the repo, never committed into it.
CRD_DIR = Path(os.environ.get("CLUSTERFORGE_CRD_SCHEMAS", ROOT.parent / "shared" / "schemas" / "crds"))


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    if not any(CRD_DIR.glob("*.yaml")):
        missing(f"upstream CRD schemas not found at {CRD_DIR} (set CLUSTERFORGE_CRD_SCHEMAS)")
    return CRD_DIR


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def known_hosts(tmp_path_factory) -> Path:
    """One known_hosts file per session: the test hosts write their keys there
    (tests/testbed/hosts.py) and the runner checks against it, never ~/.ssh/known_hosts."""
    path = tmp_path_factory.mktemp("ssh") / "known_hosts"
    previous = os.environ.get("CLUSTERFORGE_KNOWN_HOSTS")
    os.environ["CLUSTERFORGE_KNOWN_HOSTS"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("CLUSTERFORGE_KNOWN_HOSTS", None)
    else:
        os.environ["CLUSTERFORGE_KNOWN_HOSTS"] = previous
