"""`clusterforge bench provision`: the `prepare` playbook on 3 then 9 fresh test hosts.

For each size: wall time of the first (converging) run and of the second (no-op) run, and the
`changed` count of the second run, which must be 0. Then the floor: a run of the `reachable`
playbook (one ping with privileges) on the same hosts, which checks nothing and so costs only
what every run costs (runner and Ansible start, Mitogen's connection and privilege setup). The
no-op run's own checks cost its time minus the floor. Needs root and the testbed tools
(tests/testbed/README.md); the rootfs is built once and cached under /var/cache/clusterforge/.

Where the time goes is printed too: CPU seconds of the Ansible controller (this process and
its children: ansible-playbook, its workers, Mitogen, ssh) and of everything else on the
machine during the run, which is the test hosts' own work (sshd, Python, apt, dpkg). On a
real cluster each node does its share on its own CPU; here every test host shares this
machine's cores with the controller.
"""
from __future__ import annotations

import os
import resource
import sys
import time
from typing import Any

from .. import PROJECT_ROOT


def _machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _controller_cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run(phase: str, count: int, label: str, bed, inventory):
    from components.provisioning.runner import run_playbook

    machine, controller = _machine_cpu_seconds(), _controller_cpu_seconds()
    result = run_playbook(phase, inventory, ssh_key=bed.private_key, progress=None)
    controller = _controller_cpu_seconds() - controller
    hosts = max(0.0, _machine_cpu_seconds() - machine - controller)
    if not result.ok:
        raise RuntimeError(f"{label} {phase} on {count} hosts failed: {'; '.join(map(str, result.failures))}")
    print(f"  {label:6} {result.elapsed:6.1f} s wall; CPU: controller {controller:5.1f} s, "
          f"test hosts {hosts:5.1f} s ({hosts / count:.1f} s per host)", flush=True)
    return result, controller


def _measure(count: int) -> tuple[float, float, int, float, float]:
    from tests.testbed import create_testbed, testbed_inventory

    print(f"{count} hosts ({os.cpu_count()} cores shared by the controller and every test host):", flush=True)
    started = time.monotonic()
    with create_testbed(count) as bed:
        print(f"  test hosts up in {time.monotonic() - started:.1f} s", flush=True)
        inventory = testbed_inventory(bed)
        first, controller_cpu = _run("prepare", count, "first", bed, inventory)
        noop, _ = _run("prepare", count, "no-op", bed, inventory)
        floor, _ = _run("reachable", count, "floor", bed, inventory)
    print(f"  no-op run {noop.elapsed / first.elapsed:.2f} of the first, changed on rerun: {noop.changed}; "
          f"floor {floor.elapsed / first.elapsed:.2f} of the first, so the no-op's checks take "
          f"{noop.elapsed - floor.elapsed:.1f} s", flush=True)
    return first.elapsed, noop.elapsed, noop.changed, controller_cpu, floor.elapsed


def run() -> dict[str, Any]:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # the testbed lives in tests/
    first_3, noop_3, changed_3, controller_3, floor_3 = _measure(3)
    first_9, noop_9, changed_9, controller_9, floor_9 = _measure(9)
    ratio = first_9 / first_3
    print(f"9 hosts take {ratio:.2f}x the time of 3 (first run); the controller's CPU for 9 is "
          f"{controller_9 / controller_3:.2f}x its CPU for 3", flush=True)
    return {"first_3": round(first_3, 2), "noop_3": round(noop_3, 2), "first_9": round(first_9, 2),
            "noop_9": round(noop_9, 2), "changed_on_rerun": changed_3 + changed_9, "ratio_9_3": round(ratio, 2),
            "floor_3": round(floor_3, 2), "floor_9": round(floor_9, 2)}
