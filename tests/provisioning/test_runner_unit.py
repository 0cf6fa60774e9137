"""Layer 1: the runner's pure parts — tree hash, event bookkeeping, CLI input errors."""
from __future__ import annotations

import io
import json
import shutil

from components.provisioning import runner
from components.provisioning.runner import RunResult, _record, main, playbook_tree_hash


def test_tree_hash_is_stable_and_content_sensitive(tmp_path, project_root):
    tree = tmp_path / "playbooks"
    shutil.copytree(project_root / "playbooks", tree)
    first = playbook_tree_hash(tree)
    assert first == playbook_tree_hash(tree) == playbook_tree_hash(project_root / "playbooks")
    (tree / "roles/swap/tasks/main.yml").touch()  # mtime alone is not a change
    assert playbook_tree_hash(tree) == first
    with (tree / "roles/swap/tasks/main.yml").open("a") as f:
        f.write("\n")
    assert playbook_tree_hash(tree) != first
    (tree / "roles/swap/tasks/__pycache__").mkdir()
    (tree / "roles/swap/tasks/__pycache__/x.pyc").write_bytes(b"x")
    assert playbook_tree_hash(tree) == playbook_tree_hash(tree)


def _event(kind, host, task, **res):
    return {"event": kind, "event_data": {"host": host, "task": task, "res": res}}


def test_events_become_progress_failures_and_counts():
    result, out = RunResult(phase="prepare", rc=2, elapsed=1.0), io.StringIO()
    for event in (_event("runner_on_ok", "h1", "Install containerd", changed=True),
                  _event("runner_on_ok", "h2", "Install containerd", changed=False),
                  _event("runner_on_failed", "h2", "Hold the kube packages", msg="dpkg was interrupted"),
                  _event("runner_on_unreachable", "h3", "Gathering Facts", msg="ssh: connect to host 10.0.0.3 port 22: No route to host"),
                  {"event": "playbook_on_stats", "event_data": {"ok": {"h1": 5, "h2": 3}, "changed": {"h1": 1},
                                                                "failures": {"h2": 1}, "dark": {"h3": 1}}}):
        _record(event, result, out)
    assert out.getvalue().splitlines() == ["[changed] h1 | Install containerd", "[ok] h2 | Install containerd",
                                           "[failed] h2 | Hold the kube packages", "[unreachable] h3 | Gathering Facts"]
    assert [str(f) for f in result.failures] == [
        "h2: failed at task 'Hold the kube packages': dpkg was interrupted",
        "h3: unreachable at task 'Gathering Facts': ssh: connect to host 10.0.0.3 port 22: No route to host"]
    assert result.hosts["h3"] == {"ok": 0, "changed": 0, "failed": 0, "unreachable": 1, "skipped": 0}
    assert result.changed == 1 and not result.ok
    assert json.loads(json.dumps(result.summary()))["hosts"]["h1"]["ok"] == 5


def test_cli_rejects_unknown_phase_and_missing_inventory(capsys):
    assert main(["no-such-phase"], env={}) == 2
    assert "no phase 'no-such-phase'" in capsys.readouterr().err
    assert main(["prepare"], env={}) == 2
    assert "CLUSTERFORGE_INVENTORY" in capsys.readouterr().err
    assert main([], env={}) == 2


def test_default_tree_is_the_repo_playbooks(project_root):
    assert runner.PLAYBOOKS == project_root / "playbooks"
