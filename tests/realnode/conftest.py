"""Every test here is of the opt-in real-node tier (see pyproject.toml)."""
from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.realnode)
