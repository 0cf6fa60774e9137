"""Waiting on a live cluster: one loop for every "until it is so" of the e2e tests."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], timeout_s: float, interval_s: float,
               failure: Callable[[], str]) -> T:
    """probe()'s first value that is not None; AssertionError(failure()) once timeout_s has
    passed. The probe runs once more after the deadline, so a slow last step still counts."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(failure())
        time.sleep(interval_s)
