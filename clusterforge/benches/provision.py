"""`clusterforge bench provision`: what one change costs on test hosts.

The program's work plan replayed as `pulumi up` runs it (tests/kubeadm/apply.py: new or
re-triggered commands only, in the graph's stages, each at once where the graph allows), with
TEST DOUBLES of kubeadm/kubectl/kubelet inside the kube packages the mirror serves:

- first_one_s: one host provisioned from scratch (prepare, init, every cluster-wide command);
- first_9: nine hosts from scratch (3 control planes, 6 workers);
- noop_9 / changed_on_rerun: every command of the nine run again by force (each playbook's
  idempotence: it must change nothing);
- hosts_contacted_on_noop: an unchanged re-run (nothing is due; sshd logs say who was reached);
- add_one_s / hosts_contacted_on_add: one worker added to the nine (its prepare and join,
  node-config), wall time of everything that runs.

Goals: add_one_s at most 1.3 x first_one_s, hosts_contacted_on_add = 2 (the new worker, the
first control plane), hosts_contacted_on_noop = 0, changed_on_rerun = 0. Needs root and the
testbed tools (tests/testbed/README.md); the rootfs is built once and cached. On one 2-core
machine the test hosts share the controller's CPU, so absolute times are this machine's.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from clusterforge import PROJECT_ROOT

CONTROL_PLANES = ["cp-1", "cp-2", "cp-3"]
WORKERS = [f"worker-{i}" for i in range(1, 7)]
NEW = "worker-7"


STEPS = 5  # the measured steps below, counted as they start


def _timed(label: str, fn):
    _timed.k = getattr(_timed, "k", 0) + 1
    print(f"  [{_timed.k}/{STEPS}] {label} ...", flush=True)
    started = time.monotonic()
    out = fn()
    elapsed = time.monotonic() - started
    print(f"  [{_timed.k}/{STEPS}] {label:34} {elapsed:6.1f} s", flush=True)
    return out, elapsed


def run() -> dict[str, Any]:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # the testbed lives in tests/
    from tests.kubeadm.apply import apply, contacted_since, logins, plan_for, testbed_config
    from tests.kubeadm.cluster import DOUBLES
    from tests.testbed import create_testbed

    print("bench provision: needs root (network namespaces, overlay mounts, chroot) and, the first time, the "
          "network (debootstrap builds the test hosts' rootfs from Debian's mirror)", flush=True)
    if os.geteuid() != 0:
        return {"error": "bench provision needs root: run it as root"}
    # The test hosts write their keys into this known_hosts, which the runner checks (never ~/.ssh's).
    os.environ.setdefault("CLUSTERFORGE_KNOWN_HOSTS", str(Path(tempfile.mkdtemp(prefix="cf-bench-")) / "known_hosts"))
    files = {tool: {f"/usr/bin/{tool}": (DOUBLES / f"fake_{tool}.py").read_text()}
             for tool in ("kubeadm", "kubectl", "kubelet")}
    print(f"{os.cpu_count()} cores shared by the controller and every test host", flush=True)
    with create_testbed(1, names=["cp-1"], kube_files=files) as bed:
        _, first_one = _timed("1 host from scratch", lambda: apply(bed, plan_for(testbed_config(bed, ["cp-1"], [])), {}))
    with create_testbed(10, names=[*CONTROL_PLANES, *WORKERS, NEW], kube_files=files) as bed:
        applied: dict[str, list[str]] = {}
        nine = plan_for(testbed_config(bed, CONTROL_PLANES, WORKERS))
        _, first_9 = _timed("9 hosts from scratch", lambda: apply(bed, nine, applied))
        forced, noop_9 = _timed("9 hosts, every command again", lambda: apply(bed, nine, dict(applied), force=True))
        changed = sum(r.changed for r in forced.values())
        before = logins(bed)
        ran, _ = _timed("9 hosts, unchanged re-run", lambda: apply(bed, nine, applied))
        on_noop = contacted_since(bed, before)
        before = logins(bed)
        ten = plan_for(testbed_config(bed, CONTROL_PLANES, [*WORKERS, NEW]))
        added, add_one = _timed("1 worker added to 9", lambda: apply(bed, ten, applied))
        on_add = contacted_since(bed, before)
    print(f"  unchanged re-run ran {len(ran)} commands, reached {on_noop or 'no host'}; adding {NEW} ran "
          f"{', '.join(sorted(added))} and reached {', '.join(on_add)}; forced re-run changed {changed}; "
          f"add_one_s is {add_one / first_one:.2f}x first_one_s (goal <= 1.3)", flush=True)
    return {"first_one_s": round(first_one, 2), "add_one_s": round(add_one, 2), "first_9": round(first_9, 2),
            "noop_9": round(noop_9, 2), "changed_on_rerun": changed, "hosts_contacted_on_add": len(on_add),
            "hosts_contacted_on_noop": len(on_noop), "add_one_ratio": round(add_one / first_one, 2)}
