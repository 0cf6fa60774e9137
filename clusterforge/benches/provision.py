"""`clusterforge bench provision`: the `prepare` playbook on 3 then 9 fresh test hosts.

For each size: wall time of the first (converging) run and of the second (no-op) run, and the
`changed` count of the second run, which must be 0. Needs root and the testbed tools
(tests/testbed/README.md); the rootfs is built once and cached under /var/cache/clusterforge/.
"""
from __future__ import annotations

import sys
from typing import Any

from .. import PROJECT_ROOT


def _measure(count: int) -> tuple[float, float, int]:
    from components.provisioning.runner import run_playbook
    from tests.testbed import create_testbed, testbed_inventory

    with create_testbed(count) as bed:
        inventory = testbed_inventory(bed)
        first = run_playbook("prepare", inventory, ssh_key=bed.private_key, progress=None)
        if not first.ok:
            raise RuntimeError(f"prepare on {count} hosts failed: {'; '.join(map(str, first.failures))}")
        noop = run_playbook("prepare", inventory, ssh_key=bed.private_key, progress=None)
        if not noop.ok:
            raise RuntimeError(f"second prepare on {count} hosts failed: {'; '.join(map(str, noop.failures))}")
    print(f"{count} hosts: first run {first.elapsed:.1f} s, no-op run {noop.elapsed:.1f} s "
          f"({noop.elapsed / first.elapsed:.2f} of the first), changed on rerun: {noop.changed}", flush=True)
    return first.elapsed, noop.elapsed, noop.changed


def run() -> dict[str, Any]:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # the testbed lives in tests/
    first_3, noop_3, changed_3 = _measure(3)
    first_9, noop_9, changed_9 = _measure(9)
    ratio = first_9 / first_3
    print(f"9 hosts take {ratio:.2f}x the time of 3 (first run)", flush=True)
    return {"first_3": round(first_3, 2), "noop_3": round(noop_3, 2), "first_9": round(first_9, 2),
            "noop_9": round(noop_9, 2), "changed_on_rerun": changed_3 + changed_9, "ratio_9_3": round(ratio, 2)}
