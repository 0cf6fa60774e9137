"""Run one provisioning playbook through ansible-runner, for people and for Pulumi.

Every run gets a fresh private data directory (0700) holding the inventory, the extra vars and
the SSH key (0600); it is deleted afterwards, and none of them ever appears on a command line.
Progress (task, host, ok/changed/failed/unreachable) streams to stderr as it happens, which is
what a `pulumi_command.local.Command` shows in the Pulumi log; a one-line JSON summary (counts
per host) goes to stdout, which is what the Command keeps in state. A failed run exits non-zero
with a message naming each failing host, its task and the error.

CLI (nothing secret is on a command line):

    python -m components.provisioning.runner PHASE               # runs playbooks/PHASE.yml
    python -m components.provisioning.runner PHASE --input -     # inputs: one JSON document on stdin
    python -m components.provisioning.runner PHASE --input FILE  #   ... or in a file

The input document is `{"inventory": {...}, "variables": {...}}`. The Pulumi commands pass it
on stdin: an environment variable holds at most 128 KiB on Linux, which the inventory and
the variables pass at a few hundred hosts. Without --input they come from the environment:

    CLUSTERFORGE_INVENTORY       inventory as JSON/YAML text (or CLUSTERFORGE_INVENTORY_FILE: a path)
    CLUSTERFORGE_VARS            JSON object of extra variables (optional)

and in both cases:

    CLUSTERFORGE_SSH_KEY         the private key text (optional; else the user's ssh config applies)
    CLUSTERFORGE_LIMIT           an Ansible host pattern to limit the run to (optional)
    CLUSTERFORGE_PLAYBOOKS_DIR   playbook tree (default: this repo's playbooks/)
    CLUSTERFORGE_ANSIBLE_STRATEGY  `mitogen` (default) or `linear` (Ansible's own, to rule Mitogen out)
    CLUSTERFORGE_KNOWN_HOSTS     the known_hosts file host keys are checked against (default ~/.ssh/known_hosts);
                                 a host not in it is trusted on first use and recorded there (known_hosts.py)

Plays run under Mitogen's strategy (`mitogen_linear`): the same task order and semantics as
Ansible's linear strategy, but one persistent interpreter per host instead of an SSH session
and a Python start per task, which is most of a no-op run's cost.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from components.plan.provisioning.inventory import inventory_hosts
from components.plan.provisioning.tree_hash import PLAYBOOKS_DIR, playbook_tree_hash
from components.provisioning.known_hosts import known_hosts_file, trust_on_first_use

__all__ = ["Failure", "RunResult", "PLAYBOOKS", "main", "playbook_tree_hash", "run_playbook"]

PLAYBOOKS = PLAYBOOKS_DIR

_COUNTS = ("ok", "changed", "failed", "unreachable", "skipped")
_STATUS_OF_EVENT = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
                    "runner_on_skipped": "skipped", "runner_item_on_failed": "failed"}


@dataclass(frozen=True)
class Failure:
    host: str
    task: str
    message: str
    unreachable: bool

    def __str__(self) -> str:
        what = "unreachable" if self.unreachable else "failed"
        return f"{self.host}: {what} at task '{self.task}': {self.message}"


@dataclass
class RunResult:
    phase: str
    rc: int
    elapsed: float
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)   # host -> ok/changed/failed/unreachable/skipped
    failures: list[Failure] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)       # the raw runner events (for tests)
    item_errors: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.failures

    @property
    def changed(self) -> int:
        return sum(c["changed"] for c in self.hosts.values())

    def summary(self) -> dict[str, Any]:
        return {"phase": self.phase, "ok": self.ok, "changed": self.changed, "elapsed_s": round(self.elapsed, 2),
                "hosts": self.hosts, "failures": [str(f) for f in self.failures]}


STRATEGIES = ("mitogen", "linear")


def strategy_env(strategy: str) -> dict[str, str]:
    """Ansible settings for `strategy` (see STRATEGIES)."""
    if strategy == "linear":
        return {"ANSIBLE_STRATEGY": "linear"}
    if strategy != "mitogen":
        raise ValueError(f"unknown Ansible strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    import ansible_mitogen  # pinned in requirements.txt

    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def _error_text(res: Mapping[str, Any]) -> str:
    for key in ("msg", "stderr", "module_stderr", "stdout"):
        value = res.get(key)
        if value:
            return str(value).strip().splitlines()[-1][:500] if key != "msg" else str(value).strip()[:500]
    return "no error message"


def run_playbook(phase: str, inventory: Mapping[str, Any], variables: Mapping[str, Any] | None = None,
                 ssh_key: str | None = None, limit: str | None = None, progress: TextIO | None = sys.stderr,
                 playbooks: Path = PLAYBOOKS_DIR, strategy: str = "mitogen") -> RunResult:
    """Run `playbooks/<phase>.yml` against `inventory` (the dict build_inventory returns).

    `variables` become extra vars (written to a file in the private dir); `ssh_key` is the private
    key text; `progress` gets one line per task result (None: silent); `strategy` is one of
    STRATEGIES. Never raises for a failed play: the result's `ok`, `failures` and per-host
    counts say what happened.
    """
    import ansible_runner  # imported here: only provisioning runs need it

    playbooks_dir = playbooks
    playbook_path = (playbooks_dir / f"{phase}.yml").resolve()
    if not playbook_path.is_file():
        raise FileNotFoundError(f"no playbook {playbook_path}")
    result = RunResult(phase=phase, rc=-1, elapsed=0.0)
    # Short path: ssh ControlPath sockets live under it and must stay under 108 characters.
    data_dir = Path(tempfile.mkdtemp(prefix="cf-run-"))
    try:
        data_dir.chmod(0o700)
        (data_dir / "inventory").mkdir(mode=0o700)
        (data_dir / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(dict(inventory), sort_keys=True))
        envvars = {"ANSIBLE_CONFIG": str(playbooks_dir / "ansible.cfg"),
                   "ANSIBLE_ROLES_PATH": str(playbooks_dir / "roles"),
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                   **strategy_env(strategy)}
        # Host keys checked against the known_hosts file, unknown ones trusted on first use and
        # recorded (known_hosts.py); ansible.cfg keeps host_key_checking on for runs by hand.
        known_hosts = known_hosts_file()
        trust_on_first_use((h.get("ansible_host", name) for name, h in inventory_hosts(inventory).items()),
                           known_hosts, progress)
        envvars.update(ANSIBLE_HOST_KEY_CHECKING="True",
                       ANSIBLE_SSH_COMMON_ARGS=f"-o UserKnownHostsFile={known_hosts}")
        if ssh_key:
            key = data_dir / "ssh_key"
            key.touch(mode=0o600)
            key.write_text(ssh_key if ssh_key.endswith("\n") else ssh_key + "\n")
            envvars["ANSIBLE_PRIVATE_KEY_FILE"] = str(key)

        def on_event(event: dict[str, Any]) -> bool:
            result.events.append(event)
            _record(event, result, progress)
            return False  # we keep the events ourselves; runner need not write them to disk

        started = time.monotonic()
        runner = ansible_runner.run(private_data_dir=str(data_dir), project_dir=str(playbooks_dir),
                                    playbook=str(playbook_path), inventory=str(data_dir / "inventory"),
                                    extravars=dict(variables or {}), limit=limit, envvars=envvars,
                                    event_handler=on_event, quiet=True,
                                    # False: extra vars go in a file, not as -e JSON on the command line
                                    suppress_env_files=False)
        result.elapsed = time.monotonic() - started
        result.rc = runner.rc
        if runner.rc != 0 and not result.failures:
            tail = (runner.stdout.read() if runner.stdout else "").strip().splitlines()[-5:]
            result.failures.append(Failure("(ansible)", "(playbook)", " | ".join(tail) or f"rc={runner.rc}", False))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def _record(event: dict[str, Any], result: RunResult, progress: TextIO | None) -> None:
    kind = event.get("event", "")
    data = event.get("event_data", {})
    if kind == "playbook_on_stats":
        hosts = set()
        for key in ("ok", "changed", "failures", "dark", "skipped"):
            hosts.update((data.get(key) or {}).keys())
        result.hosts = {h: {"ok": (data.get("ok") or {}).get(h, 0), "changed": (data.get("changed") or {}).get(h, 0),
                            "failed": (data.get("failures") or {}).get(h, 0),
                            "unreachable": (data.get("dark") or {}).get(h, 0),
                            "skipped": (data.get("skipped") or {}).get(h, 0)} for h in sorted(hosts)}
        return
    status = _STATUS_OF_EVENT.get(kind)
    if status is None:
        return
    host, task, res = data.get("host", "?"), data.get("task", "?"), data.get("res") or {}
    if status == "ok" and res.get("changed"):
        status = "changed"
    if status in ("failed", "unreachable") and not data.get("ignore_errors"):
        if kind == "runner_item_on_failed":  # the task's own failure event follows its items
            item = res.get("_ansible_item_label", res.get("item"))
            result.item_errors.setdefault((host, task), []).append(f"{item}: {_error_text(res)}")
        else:
            # A loop task only says "One or more items failed": name the items instead.
            message = "; ".join(result.item_errors.pop((host, task), [])) or _error_text(res)
            result.failures.append(Failure(host, task, message, status == "unreachable"))
    if progress is not None:
        progress.write(f"[{status}] {host} | {task}\n")
        progress.flush()


def _inventory_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    if env.get("CLUSTERFORGE_INVENTORY"):
        return yaml.safe_load(env["CLUSTERFORGE_INVENTORY"])
    if env.get("CLUSTERFORGE_INVENTORY_FILE"):
        return yaml.safe_load(Path(env["CLUSTERFORGE_INVENTORY_FILE"]).read_text())
    raise ValueError("set CLUSTERFORGE_INVENTORY (inventory text) or CLUSTERFORGE_INVENTORY_FILE (a path)")


def read_input_document(source: str, stdin: TextIO) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inventory, variables) from the JSON document on stdin (`-`) or in the file `source`."""
    text = stdin.read() if source == "-" else Path(source).read_text()
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("inventory"), dict):
        raise ValueError('the input document must be {"inventory": {...}, "variables": {...}}')
    variables = document.get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError("the input document's variables must be an object")
    return document["inventory"], variables


_USAGE = "usage: python -m components.provisioning.runner PHASE [--input -|FILE]   (runs playbooks/PHASE.yml)"


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None,
         stdin: TextIO | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--input"):
        print(_USAGE, file=sys.stderr)
        return 2
    playbooks_dir = Path(env.get("CLUSTERFORGE_PLAYBOOKS_DIR") or PLAYBOOKS_DIR)
    phase = argv[0]
    strategy = env.get("CLUSTERFORGE_ANSIBLE_STRATEGY") or "mitogen"
    try:
        strategy_env(strategy)  # checked before anything runs
    except ValueError as exc:
        print(f"clusterforge runner: CLUSTERFORGE_ANSIBLE_STRATEGY={strategy!r}: {exc}", file=sys.stderr)
        return 2
    if not (playbooks_dir / f"{phase}.yml").is_file():
        known = sorted(p.stem for p in playbooks_dir.glob("*.yml"))
        print(f"clusterforge runner: no phase {phase!r}; known phases: {', '.join(known)}", file=sys.stderr)
        return 2
    try:
        if len(argv) == 3:
            inventory, variables = read_input_document(argv[2], sys.stdin if stdin is None else stdin)
        else:
            inventory = _inventory_from_env(env)
            variables = json.loads(env.get("CLUSTERFORGE_VARS") or "{}")
    except (ValueError, OSError, yaml.YAMLError) as exc:
        print(f"clusterforge runner: bad input: {exc}", file=sys.stderr)
        return 2
    result = run_playbook(phase, inventory, variables, env.get("CLUSTERFORGE_SSH_KEY") or None,
                          env.get("CLUSTERFORGE_LIMIT") or None, playbooks=playbooks_dir, strategy=strategy)
    print(json.dumps(result.summary(), sort_keys=True))
    if not result.ok:
        print(f"clusterforge runner: phase {phase} failed on {len({f.host for f in result.failures})} host(s):",
              file=sys.stderr)
        for failure in result.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
