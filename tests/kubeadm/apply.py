"""What `pulumi up` runs, replayed on test hosts: the pure work plan (the program's commands
are made from it, tests/kubeadm/test_graph.py checks that), the engine's rule for commands
(a new command or changed triggers runs `create`; anything else runs nothing, commands.py)
and the graph's order. Every run goes through the real runner over SSH; which hosts it
reached is read from each test host's sshd log."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping, Sequence
from typing import Any

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.config.model import StackConfig
from components.plan.hosts.expand import host_specs
from components.provisioning.runner import RunResult, run_playbook
from components.plan.provisioning.work import Work, WorkPlan, plan_work
from tests.testbed.hosts import Testbed
from tests.testbed.inventory import testbed_vars


def testbed_config(bed: Testbed, control_planes: Sequence[str], workers: Sequence[str],
                   overrides: Mapping[str, Any] | None = None, version: str = "1.36.2") -> StackConfig:
    """The onprem stack (existing machines) on the hosts of `bed` named here."""
    address = {h.name: h.address for h in bed.hosts}
    stack = apply_overrides(read_stack("onprem"), {
        "hosts.network": {"cidr": f"{bed.gateway.rsplit('.', 1)[0]}.0/24", "gateway": bed.gateway},
        "hosts.ssh": {"user": bed.user},
        "hosts.pools": [{"name": "cp", "role": "control-plane", "addresses": [address[n] for n in control_planes]}]
        + ([{"name": "worker", "role": "worker", "addresses": [address[n] for n in workers]}] if workers else []),
        "kubernetes.version": version, "addons": None,
        **(overrides or {})})
    cfg, _ = prepare_offline(stack)
    return cfg


def plan_for(cfg: StackConfig) -> WorkPlan:
    return plan_work(cfg, host_specs(cfg))


def stages(plan: WorkPlan) -> list[list[tuple[str, Work]]]:
    """The commands in stages the graph allows (build_provisioning): each stage's commands
    depend on none of their stage, so they run at once, as the engine runs them."""
    cluster = plan.cluster
    out = [[(f"prepare-{n}", node.prepare) for n, node in plan.nodes.items()]]
    out += [[(name, cluster[name])] for name in ("control-plane", "upgrade", "cert-sans")]
    out += [[(f"join-{n}", node.join)] for n, node in plan.nodes.items() if node.join and node.control_plane]
    out += [[(f"join-{n}", node.join) for n, node in plan.nodes.items() if node.join and not node.control_plane]]
    out += [[(name, cluster[name]) for name in ("node-config", "remove-node", "kubeconfig")]]
    return [stage for stage in out if stage]


def logins(bed: Testbed) -> dict[str, int]:
    """SSH logins each test host's sshd accepted so far."""
    return {h.name: len(re.findall(r"Accepted publickey", (bed.dir / h.name / "sshd.log").read_text(errors="replace")))
            for h in bed.hosts}


def contacted_since(bed: Testbed, before: Mapping[str, int]) -> list[str]:
    return sorted(name for name, count in logins(bed).items() if count > before.get(name, 0))


def apply(bed: Testbed, plan: WorkPlan, applied: dict[str, list[str]], force: bool = False) -> dict[str, RunResult]:
    """Run what the engine would run for `plan` after `applied` (name -> triggers of the last
    successful run, updated here): new commands and changed triggers, stage by stage
    (`force`: every command, as after `pulumi up --replace` of each; a playbook's re-run)."""
    results: dict[str, RunResult] = {}

    def run(work: Work) -> RunResult:
        # the test hosts' package mirror and chroot switch, as inventory vars (users override the
        # same way); the mirror serves Debian 12's containerd 1.6, which 1.36 would refuse
        overrides = {**testbed_vars(bed), "containerd_minimum_versions": []}
        inventory = {**work.inventory, "all": {**work.inventory["all"],
                                               "vars": {**work.inventory["all"]["vars"], **overrides}}}
        return run_playbook(work.phase, inventory, {}, ssh_key=bed.private_key, progress=None)

    for stage in stages(plan):
        due = [(name, work) for name, work in stage if force or applied.get(name) != work.triggers]
        with ThreadPoolExecutor(max_workers=max(1, len(due))) as pool:
            done = dict(zip([n for n, _ in due], pool.map(run, [w for _, w in due])))
        for name, work in due:
            if not done[name].ok:
                raise RuntimeError(f"{name} failed: {'; '.join(done[name].summary()['failures'])}")
            applied[name] = work.triggers
        results.update(done)
    return results


testbed_config.__test__ = False  # a helper, not a test
