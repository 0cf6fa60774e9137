"""Run one provisioning phase (a playbook) through ansible-runner.

Each run gets a fresh private data dir (0700) that is removed afterwards: the inventory,
the variables and the SSH key (0600) live there only while the run lasts, never on a
command line. Progress streams to stderr as tasks finish, which is what reaches the
Pulumi log; stdout carries only a short JSON summary, which is what a Command keeps in
state. A failure names the host, the task and the error.

As a command (what the Pulumi Commands run):
    python -m components.provisioning.runner PHASE
with CLUSTERFORGE_INVENTORY and CLUSTERFORGE_VARS (JSON) and CLUSTERFORGE_SSH_KEY in the
environment; optional CLUSTERFORGE_LIMIT (a host pattern).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
PHASES = ("prepare", "control-plane", "join", "kubeconfig", "upgrade", "remove-node", "reset")

_COUNTED = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
            "runner_on_skipped": "skipped"}


@dataclass
class Failure:
    host: str
    task: str
    error: str

    def __str__(self) -> str:
        return f"host {self.host}: task '{self.task}': {self.error}"


@dataclass
class RunResult:
    phase: str
    status: str
    rc: int
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.failures

    @property
    def changed(self) -> int:
        return sum(h.get("changed", 0) for h in self.hosts.values())

    def summary(self) -> dict[str, Any]:
        return {"phase": self.phase, "status": self.status, "changed": self.changed,
                "hosts": {h: dict(sorted(c.items())) for h, c in sorted(self.hosts.items())},
                "failures": [str(f) for f in self.failures]}


def playbook_tree_hash(root: Path = PLAYBOOKS) -> str:
    """A stable hash of every file under playbooks/ (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _error_of(event: dict) -> str:
    res = event.get("event_data", {}).get("res", {}) or {}
    for key in ("msg", "stderr", "reason"):
        if res.get(key):
            return str(res[key]).strip().splitlines()[-1] if key == "stderr" else str(res[key]).strip()
    return "failed"


def run_playbook(phase: str, inventory: dict, variables: dict, ssh_key: str | None = None,
                 limit: str | None = None, progress: TextIO = sys.stderr,
                 playbooks: Path = PLAYBOOKS) -> RunResult:
    import ansible_runner

    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; phases: {', '.join(PHASES)}")
    private = Path(tempfile.mkdtemp(prefix=f"clusterforge-{phase}-"))
    os.chmod(private, 0o700)
    result = RunResult(phase=phase, status="unknown", rc=-1)
    try:
        extra = dict(variables)
        if ssh_key:
            key = private / "ssh_key"
            key.write_text(ssh_key if ssh_key.endswith("\n") else ssh_key + "\n")
            key.chmod(0o600)
            extra["ansible_ssh_private_key_file"] = str(key)
        (private / "inventory.json").write_text(json.dumps(inventory))
        (private / "inventory.json").chmod(0o600)

        def on_event(event: dict) -> bool:
            kind = event.get("event", "")
            data = event.get("event_data", {})
            host, task = data.get("host"), data.get("task", "")
            if kind in _COUNTED and host:
                counts = result.hosts.setdefault(host, {"ok": 0, "changed": 0, "failed": 0,
                                                        "unreachable": 0, "skipped": 0})
                counts[_COUNTED[kind]] += 1
                changed = kind == "runner_on_ok" and (data.get("res") or {}).get("changed")
                if changed:
                    counts["changed"] += 1
                state = "changed" if changed else _COUNTED[kind]
                if kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
                    failure = Failure(host, task, _error_of(event))
                    result.failures.append(failure)
                    print(f"{state}: [{host}] {task}: {failure.error}", file=progress, flush=True)
                else:
                    print(f"{state}: [{host}] {task}", file=progress, flush=True)
            return False  # keep runner's own event files out of the (private) dir

        runner = ansible_runner.run(
            private_data_dir=str(private),
            project_dir=str(playbooks),
            playbook=str(playbooks / f"{phase}.yml"),
            inventory=str(private / "inventory.json"),
            extravars=extra,
            limit=limit,
            envvars={"ANSIBLE_CONFIG": str(playbooks / "ansible.cfg"),
                     "ANSIBLE_ROLES_PATH": str(playbooks / "roles")},
            event_handler=on_event,
            quiet=True,
            suppress_env_files=True,
        )
        result.status, result.rc = runner.status, runner.rc
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in PHASES:
        print(f"usage: python -m components.provisioning.runner {{{','.join(PHASES)}}}", file=sys.stderr)
        return 2
    try:
        inventory = json.loads(os.environ["CLUSTERFORGE_INVENTORY"])
        variables = json.loads(os.environ.get("CLUSTERFORGE_VARS", "{}"))
    except (KeyError, ValueError) as exc:
        print(f"runner: CLUSTERFORGE_INVENTORY/CLUSTERFORGE_VARS missing or not JSON: {exc}", file=sys.stderr)
        return 2
    result = run_playbook(argv[0], inventory, variables, os.environ.get("CLUSTERFORGE_SSH_KEY"),
                          os.environ.get("CLUSTERFORGE_LIMIT") or None)
    print(json.dumps(result.summary(), sort_keys=True))
    if not result.ok:
        for failure in result.failures or [Failure("-", argv[0], f"ansible ended {result.status}")]:
            print(f"clusterforge {argv[0]} failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
