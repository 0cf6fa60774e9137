"""Layer 1: the runner's pure parts — tree hash, event bookkeeping, CLI input errors."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

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


def test_a_failed_loop_names_its_failing_items():
    result = RunResult(phase="prepare", rc=2, elapsed=1.0)
    task = "Persist kernel modules and sysctls"
    for event in (_event("runner_item_on_failed", "h1", task, _ansible_item_label="/etc/sysctl.d/99-cf.conf",
                         msg="Destination directory /etc/sysctl.d does not exist"),
                  _event("runner_on_failed", "h1", task, msg="One or more items failed")):
        _record(event, result, None)
    assert [str(f) for f in result.failures] == [
        f"h1: failed at task '{task}': /etc/sysctl.d/99-cf.conf: Destination directory /etc/sysctl.d does not exist"]


def test_strategy_is_mitogen_unless_told_otherwise():
    mitogen = runner.strategy_env("mitogen")
    assert mitogen["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(mitogen["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
    assert runner.strategy_env("linear") == {"ANSIBLE_STRATEGY": "linear"}
    with pytest.raises(ValueError, match="use one of mitogen, linear"):
        runner.strategy_env("free")


def test_cli_rejects_unknown_phase_and_missing_inventory(capsys):
    assert main(["no-such-phase"], env={}) == 2
    assert "no phase 'no-such-phase'" in capsys.readouterr().err
    assert main(["prepare"], env={}) == 2
    assert "CLUSTERFORGE_INVENTORY" in capsys.readouterr().err
    assert main([], env={}) == 2
    assert main(["prepare"], env={"CLUSTERFORGE_ANSIBLE_STRATEGY": "fast"}) == 2
    assert "CLUSTERFORGE_ANSIBLE_STRATEGY='fast'" in capsys.readouterr().err


def test_cli_reads_one_input_document_and_rejects_a_malformed_one(capsys, tmp_path):
    document = {"inventory": {"all": {"hosts": {"h1": {}}}}, "variables": {"a": 1}}
    assert runner.read_input_document("-", io.StringIO(json.dumps(document))) == (document["inventory"], {"a": 1})
    (tmp_path / "in.json").write_text(json.dumps({"inventory": {"all": {}}}))
    assert runner.read_input_document(str(tmp_path / "in.json"), io.StringIO()) == ({"all": {}}, {})
    assert main(["prepare", "--input", "-"], env={}, stdin=io.StringIO("[1]")) == 2
    assert '{"inventory": {...}, "variables": {...}}' in capsys.readouterr().err
    assert main(["prepare", "--input", "-"], env={}, stdin=io.StringIO("not json")) == 2
    assert "bad input" in capsys.readouterr().err
    assert main(["prepare", "--inputs", "-"], env={}) == 2
    assert "usage:" in capsys.readouterr().err


def test_default_tree_is_the_repo_playbooks(project_root):
    assert runner.PLAYBOOKS == project_root / "playbooks"
