"""The real control plane of the e2e tier: kwokctl's binary runtime, built by scripts/toolchain.sh."""
from __future__ import annotations


import pytest

from clusterforge.engine import toolchain_bin
from clusterforge.kwok_live import missing_binaries
from tests import needs


@pytest.fixture(scope="session")
def kwok_bin():
    """The toolchain's bin dir; under CI a missing binary fails (CI builds them first)."""
    bin_dir = toolchain_bin()
    missing = missing_binaries(bin_dir)
    if missing:
        needs.missing(f"the real-engine toolchain lacks {', '.join(missing)} in {bin_dir}; "
                      "build it with scripts/toolchain.sh")
    return bin_dir
