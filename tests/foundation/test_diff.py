"""`clusterforge diff` between renders: added, removed, changed with field paths."""
from __future__ import annotations

import json

from clusterforge.cli import main
from clusterforge.diff import as_text, diff_plans
from clusterforge.diff_markdown import as_markdown


def plan(*resources):
    return {"stack": "s", "resources": list(resources)}


def res(name, **inputs):
    return {"urn": f"urn:pulumi:s::clusterforge::t::{name}", "type": "t", "name": name,
            "parent": "", "dependencies": [], "inputs": inputs}


def test_no_change_is_empty():
    p = plan(res("a", x=1))
    d = diff_plans(p, p)
    # An unchanged stack says so in one line (issue 15; the Markdown used to be empty).
    assert d.empty and as_text(d) == "" and "- **s**: no changes\n" in as_markdown(d)
    assert "|" not in as_markdown(d)


def test_added_removed_changed_with_paths():
    old = plan(res("a", x=1, y={"z": [1, 2]}), res("gone"))
    new = plan(res("a", x=2, y={"z": [1, 3]}), res("new"))
    d = diff_plans(old, new)
    assert [c.name for c in d.added] == ["new"]
    assert [c.name for c in d.removed] == ["gone"]
    assert d.changed[0].paths == ["inputs.x", "inputs.y.z[1]"]
    # issue 24: text prints the model's one summary, the Markdown's counts (replacements apart)
    assert "1 to add, 1 to change, 0 to replace, 1 to remove" in as_text(d)
    assert "`inputs.y.z[1]`" in as_markdown(d)


def test_cli_diff_exit_codes(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "plan.json").write_text(json.dumps(plan(res("a", x=1))))
    (b / "plan.json").write_text(json.dumps(plan(res("a", x=1))))
    assert main(["diff", str(a), str(b)]) == 0
    assert capsys.readouterr().out == ""
    (b / "plan.json").write_text(json.dumps(plan(res("a", x=2))))
    md = tmp_path / "comment.md"
    assert main(["diff", str(a), str(b), "--markdown-out", str(md)]) == 1
    assert "inputs.x" in capsys.readouterr().out
    assert md.read_text().startswith("**clusterforge diff**")


def test_cli_diff_between_git_refs(capsys):
    # The same commit rendered twice through throwaway worktrees: no change, exit 0.
    assert main(["diff", "HEAD", "HEAD", "--stack", "onprem"]) == 0
    assert capsys.readouterr().out == ""
