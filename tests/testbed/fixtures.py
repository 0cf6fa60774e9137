"""pytest fixtures for the testbed; import them into a conftest.py:

    from tests.testbed.fixtures import testbed_factory, testbed3  # noqa: F401
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.needs import missing

from .hosts import Testbed, create_testbed

_TOOLS = ("ip", "debootstrap", "dpkg-deb", "dpkg-scanpackages", "ssh", "ssh-keygen", "mount")


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "test hosts need root (network namespaces, overlay mounts, chroot)"
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return f"test hosts need {', '.join(missing)} (see .ci/apt-packages.txt)"
    return None


@pytest.fixture(scope="session")
def testbed_factory():
    """Call `testbed_factory(count, **create_testbed kwargs)`; every bed is closed at session end."""
    reason = _skip_reason()
    if reason:
        missing(f"cannot build test hosts: {reason}")  # CI runs as root with the setup's packages
    beds: list[Testbed] = []

    def make(count: int, **kw) -> Testbed:
        beds.append(create_testbed(count, **kw))
        return beds[-1]

    yield make
    for bed in beds:
        bed.close()


@pytest.fixture(scope="module")
def testbed3(testbed_factory) -> Testbed:
    """Three fresh hosts (host1 control plane, host2-3 workers), shared by one test module."""
    bed = testbed_factory(3)
    yield bed
    bed.close()
