"""The upgrade phase end to end on four test hosts: real apt moves between two versions of the
kube packages served by the test mirror, and TEST DOUBLES of kubeadm, kubectl and kubelet
(tests/kubeadm/doubles/) inside those packages record every call with a timestamp; each
package's postinst records when dpkg configured it. Hosts: cp-1 (init), cp-2, wk-1, wk-2 run
at the old version; wk-3 enters the config in the same change as the version bump. Last, the
program's reset-on-destroy command resets them all."""
from __future__ import annotations

import os
import subprocess

import pytest

from components.plan.provisioning.phases import PHASES
from components.provisioning.runner import run_playbook
from tests.kubeadm.cluster import DOUBLES, cluster_inputs, recorded_calls

ROLES = {"cp-1": "control-plane", "cp-2": "control-plane", "wk-1": "worker", "wk-2": "worker"}
GROWN = {**ROLES, "wk-3": "worker"}  # the config after the change
OLD, NEW = "1.35.4", "1.36.2"
FILES = {tool: {f"/usr/bin/{tool}": (DOUBLES / f"fake_{tool}.py").read_text()}
         for tool in ("kubeadm", "kubectl", "kubelet")}


def postinst_recorders(version: str) -> dict[str, dict[str, str]]:
    """A postinst per kube package that logs `dpkg configure <package> <version>` with the time."""
    def script(package: str) -> str:
        return ("#!/bin/sh\nset -e\nmkdir -p /var/lib/fake-kube\n"
                f'printf \'{{"tool": "dpkg", "args": ["configure", "{package}", "{version}"], "t": %s}}\\n\' '
                '"$(date +%s.%N)" >> /var/lib/fake-kube/calls.jsonl\n')
    return {package: {"postinst": script(package)} for package in FILES}


@pytest.fixture(scope="module")
def cluster(testbed_factory):
    bed = testbed_factory(len(GROWN), names=list(GROWN), kubernetes_version=OLD, kube_files=FILES,
                          kube_scripts=postinst_recorders(OLD))
    bed.repo.add_kube_packages(NEW, FILES, postinst_recorders(NEW))
    bed.repo.index()
    inventory, variables = cluster_inputs(bed, ROLES, OLD)
    for phase in ("prepare", "control-plane", "join"):
        result = run_playbook(phase, inventory, variables, ssh_key=bed.private_key, progress=None)
        assert result.ok, (phase, result.summary()["failures"])
    return bed, inventory, variables


def run(cluster, phase, version, **extra):
    bed, inventory, variables = cluster
    target = {"kubernetes_version": version, "kubernetes_minor": version.rsplit(".", 1)[0]}
    return run_playbook(phase, inventory, {**variables, **target, **extra}, ssh_key=bed.private_key, progress=None)


def events(bed) -> list[dict]:
    return recorded_calls(bed, GROWN)


def grown(bed, **extra):
    """Run `phase` with the config after the change: version NEW, wk-3 added."""
    inventory, variables = cluster_inputs(bed, GROWN, NEW)
    return lambda phase: run_playbook(phase, inventory, {**variables, **extra}, ssh_key=bed.private_key,
                                      progress=None)


def installed(bed, name: str) -> dict[str, str]:
    out = bed.host(name).run("dpkg-query", "-W", "-f=${Package} ${Version}\\n", *FILES).stdout
    return dict(line.split() for line in out.splitlines())


def held(bed, name: str) -> set[str]:
    return set(bed.host(name).run("apt-mark", "showhold").stdout.split())


def test_prepare_leaves_the_kube_packages_of_running_nodes_to_the_upgrade(cluster):
    bed, _, _ = cluster
    result = run(cluster, "prepare", NEW)
    assert result.ok, result.summary()["failures"]
    assert result.changed == 0, result.summary()
    for name in ROLES:
        assert set(installed(bed, name).values()) == {f"{OLD}-1.1"}


def test_upgrade_moves_one_node_at_a_time_in_the_documented_order_and_the_new_node_joins_after(cluster):
    """The phases one `pulumi up` runs, in the graph's order, after a change that bumps the
    version and adds wk-3: prepare installs NEW on wk-3 only, upgrade moves the running nodes,
    join then takes wk-3 in at NEW."""
    bed, _, _ = cluster
    started = len(events(bed))
    run_phase = grown(bed, provisioning_upgrade_batch_size=2)
    marks = {}
    for phase in PHASES[:PHASES.index("join") + 1]:
        marks[phase] = len(events(bed))
        result = run_phase(phase)
        assert result.ok, (phase, result.summary()["failures"])
    log = events(bed)[started:]

    def when(host, tool, *args):
        """Time of the first matching call (kubectl runs on cp-1, naming the node in its args)."""
        return next(e["t"] for e in log if e["tool"] == tool and e["host"] == host
                    and all(a in e["args"] for a in args))

    upgrade = {"cp-1": ("upgrade", "apply", f"v{NEW}")}
    for name in ROLES:
        kubeadm_step = upgrade.get(name, ("upgrade", "node"))
        steps = [when(name, "dpkg", "kubeadm", NEW), when(name, "kubeadm", *kubeadm_step),
                 when("cp-1", "kubectl", "drain", name), when(name, "dpkg", "kubelet", NEW),
                 when("cp-1", "kubectl", "uncordon", name)]
        assert steps == sorted(steps), f"{name}: kubeadm, upgrade, drain, kubelet, uncordon out of order"
        assert installed(bed, name) == {tool: f"{NEW}-1.1" for tool in FILES}
        assert held(bed, name) == set(FILES)
    # control planes one at a time, before any worker; both workers in one batch of two
    assert when("cp-1", "kubectl", "uncordon", "cp-1") < when("cp-2", "dpkg", "kubeadm", NEW)
    workers_start = min(when(w, "dpkg", "kubeadm", NEW) for w in ("wk-1", "wk-2"))
    assert when("cp-1", "kubectl", "uncordon", "cp-2") < workers_start
    assert max(when("cp-1", "kubectl", "drain", w) for w in ("wk-1", "wk-2")) < \
        min(when("cp-1", "kubectl", "uncordon", w) for w in ("wk-1", "wk-2"))
    # only the first control plane runs `upgrade apply`
    assert [e["host"] for e in log if e["tool"] == "kubeadm" and e["args"][:2] == ["upgrade", "apply"]] == ["cp-1"]
    # wk-3: NEW from prepare (the running nodes' packages untouched there), no upgrade or drain,
    # joined after the last running node was back
    during_prepare = events(bed)[marks["prepare"]:marks["control-plane"]]
    assert {e["host"] for e in during_prepare if e["tool"] == "dpkg"} == {"wk-3"}
    assert {e["args"][2] for e in during_prepare if e["tool"] == "dpkg"} == {NEW}
    assert installed(bed, "wk-3") == {tool: f"{NEW}-1.1" for tool in FILES} and held(bed, "wk-3") == set(FILES)
    assert not [e for e in log if e["host"] == "wk-3" and e["args"][:1] == ["upgrade"]]
    assert not [e for e in log if e["tool"] == "kubectl" and "wk-3" in e["args"]
                and {"drain", "uncordon"} & set(e["args"])]
    (join,) = [e for e in log if e["host"] == "wk-3" and e["tool"] == "kubeadm" and e["args"][0] == "join"]
    assert join["t"] > max(when("cp-1", "kubectl", "uncordon", name) for name in ROLES)
    assert not [e for e in log if e["host"] in ROLES and e["tool"] == "kubeadm" and e["args"][0] == "join"]


def test_a_second_upgrade_run_changes_nothing(cluster):
    bed, _, _ = cluster
    started = len(events(bed))
    result = grown(bed, provisioning_upgrade_batch_size=2)("upgrade")
    assert result.ok, result.summary()["failures"]
    assert result.changed == 0, result.summary()
    assert [e for e in events(bed)[started:] if e["tool"] in ("kubeadm", "dpkg")
            or "drain" in e["args"]] == []


def test_destroy_runs_the_declared_reset_on_every_node(cluster):
    """The delete command the program declares (`reset-on-destroy`), run as Pulumi's
    command provider would on destroy: from the project directory, inputs on stdin, the key in
    the environment."""
    from clusterforge import PROJECT_ROOT
    from clusterforge.mockrun import run_stack
    from components.provisioning import input_document

    bed, _, _ = cluster
    inventory, variables = cluster_inputs(bed, GROWN, NEW)
    delete = run_stack("onprem").named("reset-on-destroy").inputs["delete"]
    env = {**os.environ, "CLUSTERFORGE_SSH_KEY": bed.private_key}
    stdin = input_document(inventory, variables)

    def resets():
        return [e["host"] for e in events(bed) if e["tool"] == "kubeadm" and e["args"][0] == "reset"]

    skipped = subprocess.run(["/bin/bash", "-c", delete], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             input=stdin, env={**env, "CLUSTERFORGE_SKIP_RESET": "1"})
    assert skipped.returncode == 0 and "not reset" in skipped.stderr and resets() == []
    done = subprocess.run(["/bin/bash", "-c", delete], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          input=stdin, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(resets()) == sorted(GROWN)
    assert not any((bed.host(name).root / "etc/kubernetes/kubelet.conf").exists() for name in GROWN)
