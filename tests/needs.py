"""What a test needs from outside the repository (built binaries, ../shared data, root).

Where it is absent a test skips and says what is missing and how to get it. Under CI,
which builds and has all of it, an absence is a failure: CI never passes by skipping.
"""
from __future__ import annotations

import os

import pytest


def missing(reason: str) -> None:
    """Skip (fail under CI) because `reason`; never returns."""
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)
