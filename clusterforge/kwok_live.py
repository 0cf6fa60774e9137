"""Helpers for kwok stacks on a real control plane, and a runner in the engine's place.

The real engine runs the program (clusterforge/engine.py; tests/e2e/test_engine_*.py). What
stays here: the toolchain's kwok binaries and a stack's `hosts` pointed at them, a free
loopback port, the processes a kwokctl working directory left; and `LiveStack`, which runs a
kwok stack's recorded commands (create, update only when the inputs changed, the previous
stdout in PULUMI_COMMAND_STDOUT, delete) and applies its Stage objects. Only the single
sign-on tier uses it: it starts the cluster with an API server flag no stack setting gives.
Everything it runs is real: kwokctl, etcd, kube-apiserver, the controller manager, the
scheduler and the KWOK controller, built by scripts/toolchain.sh.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.mockrun import Recording, Registration
from clusterforge.server_check import ServerCheck

COMMAND = "command:local:Command"
STAGE = "kubernetes:kwok.x-k8s.io/v1alpha1:Stage"
KWOK_BINARIES = ("kwokctl", "kwok", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")


class LiveError(Exception):
    pass


def free_port() -> int:
    """A loopback port nothing listens on now, for a cluster's API server."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_binaries(bin_dir: Path) -> list[str]:
    return [b for b in KWOK_BINARIES if not os.access(bin_dir / b, os.X_OK)]


def kwok_overrides(config: dict[str, Any], bin_dir: Path, name: str, port: int) -> dict[str, Any]:
    """The `hosts` section of a kwok stack pointed at the toolchain's binaries."""
    hosts = json.loads(json.dumps(config["hosts"]))
    hosts["kwokCluster"] = {
        **hosts.get("kwokCluster", {}), "name": name, "apiserverPort": port,
        "kwokctl": str(bin_dir / "kwokctl"),
        "binaries": {"kubeApiserver": str(bin_dir / "kube-apiserver"),
                     "kubeControllerManager": str(bin_dir / "kube-controller-manager"),
                     "kubeScheduler": str(bin_dir / "kube-scheduler"),
                     "kwokController": str(bin_dir / "kwok"), "etcd": str(bin_dir / "etcd")},
    }
    return hosts


@dataclass
class CommandState:
    inputs: dict[str, Any]
    stdout: str = ""


@dataclass
class LiveStack:
    """The state this stand-in keeps: one entry per command, as the engine's state would."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    commands: dict[str, CommandState] = field(default_factory=dict)
    kubeconfig: str = ""
    log: list[str] = field(default_factory=list)

    def _run(self, script: str, stdin: str | None, env: dict[str, str]) -> str:
        full = {**os.environ, **self.env, **env}
        out = subprocess.run(["bash", "-c", script], input=stdin, capture_output=True, text=True,
                             cwd=PROJECT_ROOT, env=full, timeout=900)
        self.log.append(out.stderr)
        if out.returncode != 0:
            raise LiveError(f"command failed ({out.returncode}): {script[:120]}\n{out.stderr[-2000:]}")
        return out.stdout

    def _command_env(self, res: Registration, previous: str | None) -> dict[str, str]:
        env = dict(res.inputs.get("environment") or {}) if isinstance(res.inputs.get("environment"), dict) else {}
        if res.name.startswith("nodes-"):
            # The program passes the kubeconfig (a secret: the render shows "[secret]").
            from components.emulation.apply import KUBECONFIG_ENV

            env[KUBECONFIG_ENV] = self.kubeconfig
        if previous is not None and res.inputs.get("addPreviousOutputInEnv"):
            env["PULUMI_COMMAND_STDOUT"] = previous
        return env

    def converge_command(self, res: Registration) -> bool:
        """Create, or update when the inputs changed; True when something ran."""
        state = self.commands.get(res.name)
        if state is not None and state.inputs == res.inputs:
            return False
        script = res.inputs["create"] if state is None else res.inputs.get("update") or res.inputs["create"]
        stdout = self._run(script, res.inputs.get("stdin"), self._command_env(res, state.stdout if state else None))
        self.commands[res.name] = CommandState(inputs=res.inputs, stdout=stdout)
        return True

    def delete_command(self, name: str) -> None:
        state = self.commands.pop(name)
        if state.inputs.get("delete"):
            res = Registration(urn="", type=COMMAND, name=name, parent="", custom=True, dependencies=[],
                               inputs=state.inputs)
            self._run(state.inputs["delete"], None, self._command_env(res, state.stdout))

    def client(self) -> ServerCheck:
        return ServerCheck(yaml.safe_load(self.kubeconfig))


def cluster_command(rec: Recording) -> Registration:
    found = [r for r in rec.of_type(COMMAND) if r.name.startswith("kwok-")]
    if len(found) != 1:
        raise LiveError(f"expected one kwok cluster command, found {[r.name for r in found]}")
    return found[0]


def group_commands(rec: Recording) -> list[Registration]:
    return sorted((r for r in rec.of_type(COMMAND) if r.name.startswith("nodes-")), key=lambda r: r.name)


def up(live: LiveStack, rec: Recording) -> dict[str, float]:
    """The kwok stack's resources in the graph's order: cluster, stages, node groups."""
    timings: dict[str, float] = {}
    start = time.monotonic()
    cluster = cluster_command(rec)
    live.converge_command(cluster)
    live.kubeconfig = live.commands[cluster.name].stdout
    timings["cluster_s"] = time.monotonic() - start
    api = live.client()
    for stage in rec.of_type(STAGE):
        api.apply({k: v for k, v in stage.inputs.items() if not k.startswith("__")})
    start = time.monotonic()
    for group in group_commands(rec):
        live.converge_command(group)
    timings["node_groups_s"] = time.monotonic() - start
    return timings


def update(live: LiveStack, rec: Recording) -> list[str]:
    """Re-run what changed; return the names of the commands that ran."""
    ran = [g.name for g in group_commands(rec) if live.converge_command(g)]
    for name in sorted(set(live.commands) - {g.name for g in group_commands(rec)} - {cluster_command(rec).name}):
        live.delete_command(name)
        ran.append(name)
    return ran


def destroy(live: LiveStack, rec: Recording) -> None:
    """Node groups first, then the cluster: the reverse of the graph."""
    for group in reversed(group_commands(rec)):
        if group.name in live.commands:
            live.delete_command(group.name)
    cluster = cluster_command(rec)
    if cluster.name in live.commands:
        live.delete_command(cluster.name)


def cluster_processes(workdir: Path) -> list[str]:
    """Command lines of processes that still run from a kwokctl working directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(workdir) in cmd and "bash -c" not in cmd:
            found.append(cmd.strip())
    return found
