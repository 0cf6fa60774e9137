"""Which containerd a Kubernetes minor supports (containerd's RELEASES.md), as a pure rule."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from components.config.provisioning import (CONTAINERD_SUPPORT, DEBIAN_CONTAINERD, containerd_minimums,
                                            containerd_supported)

MINORS = sorted(CONTAINERD_SUPPORT)


@given(st.sampled_from(MINORS), st.data())
def test_each_listed_minimum_is_the_lowest_supported_patch_of_its_line(minor, data):
    minimums = CONTAINERD_SUPPORT[minor]
    minimum = data.draw(st.sampled_from(minimums))
    major, line, patch = map(int, minimum.split("."))
    assert containerd_supported(minimum, minimums)
    assert containerd_supported(f"{major}.{line}.{patch + data.draw(st.integers(0, 50))}", minimums)
    if patch:
        assert not containerd_supported(f"{major}.{line}.{patch - 1}", minimums)
    assert not containerd_supported("1.5.18", minimums)       # a line no minor here supports
    assert containerd_supported("9.0.0", minimums)            # newer than every listed line


def test_debian_containerd_is_too_old_for_the_pinned_minors_and_newer_minors_need_as_much():
    for minor in ("1.35", "1.36"):
        assert not any(containerd_supported(v, containerd_minimums(minor)) for v in DEBIAN_CONTAINERD.values())
    assert containerd_minimums("1.37") == CONTAINERD_SUPPORT["1.36"]
    assert containerd_minimums("1.31") is None    # older than the table: not judged
    assert containerd_supported("1.7.24~ds1-6", containerd_minimums("1.33"))   # Debian's version strings
