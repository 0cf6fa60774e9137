"""`clusterforge diff` on pairs of real renders: unchanged, a chart bump, a replica
change, host growth, a secret change; the PR comment they make, and its picture."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from clusterforge.cli import main
from clusterforge.diff import diff_plans, load_plan
from clusterforge.diff_markdown import MARKER, comment
from clusterforge.render import render_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Renders under base/ and head/ as `render all --out` lays them out, made on demand."""
    top = tmp_path_factory.mktemp("renders")

    def make(side: str, stack: str, overrides=None, root: Path = ROOT) -> Path:
        return render_stack(stack, top / side / stack, overrides=overrides, root=root).out
    make.top = top
    return make


def summary_of(md: str) -> str:
    return md.splitlines()[0]


def test_unchanged_stack_is_one_line(renders, capsys):
    a, b = renders("same-a", "onprem"), renders("same-b", "onprem")
    d = diff_plans(load_plan(a), load_plan(b))
    assert d.empty
    md = comment([d])
    assert "- **onprem**: no changes\n" in md and "|" not in md and "mermaid" not in md
    assert main(["diff", str(a), str(b), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == md


def test_chart_bump(renders):
    base = renders("base", "homelab")
    head = renders("chart", "homelab", {"addons.charts[0].version": "2.2.4"})
    d = diff_plans(load_plan(base), load_plan(head))
    [chart] = d.charts
    assert (chart.release, chart.old_version, chart.new_version, chart.bump) == ("reloader/reloader", "2.2.3", "2.2.4", True)
    [release] = d.changed
    assert (release.name, release.action, release.paths) == ("reloader", "update", ["inputs.version"])
    md = comment([d])
    assert "| `reloader/reloader` | `reloader` | 2.2.3 → **2.2.4** | — |" in md
    assert summary_of(md) == ("**clusterforge diff**: homelab: 0 to add, 1 to change, 0 to replace, 0 to remove; "
                              "chart reloader 2.2.3 → 2.2.4")
    assert "n0[\"Release<br/>reloader\"]:::change" in md or ":::change" in md


def test_chart_values_change_shows_old_and_new(renders):
    base = renders("base", "homelab")
    head = renders("values", "homelab", {"addons.charts[0].values": {"reloader": {"watchGlobally": False}}})
    [chart] = diff_plans(load_plan(base), load_plan(head)).charts
    assert [(v.path, v.old, v.new) for v in chart.values] == [("reloader.watchGlobally", "true", "false")]
    assert not chart.bump


def test_node_group_replica_change(renders):
    base = renders("base", "emulated")
    head = renders("replicas", "emulated", {"emulation.nodeGroups[0].placement[0].replicas": 510})
    d = diff_plans(load_plan(base), load_plan(head))
    assert [(c.group, c.zone, c.old, c.new, c.delta) for c in d.node_groups] == [("a2-ultragpu-8g", "use1", 500, 510, 10)]
    assert [c.name for c in d.changed] == ["nodes-a2-ultragpu-8g"] and d.changed[0].action == "update"
    md = comment([d])
    assert "| `a2-ultragpu-8g` in `use1` | 500 | 510 | +10 |" in md
    assert "a2-ultragpu-8g/use1 500 → 510" in summary_of(md)


def test_host_pool_growth_adds_a_machine_and_its_node_work_and_replaces_node_config_only(renders):
    base = renders("base", "homelab")
    head = renders("hosts", "homelab", {"hosts.pools[1].count": 4})
    d = diff_plans(load_plan(base), load_plan(head))
    # issue 13: the new host's own commands, and no other host's work re-runs
    assert sorted(c.name for c in d.added) == ["join-worker-4", "node-worker-4", "prepare-worker-4", "worker-4"]
    assert [(c.group, c.old, c.new) for c in d.hosts] == [("workers", 3, 4)]
    replaced = {c.name for c in d.changed if c.action == "replace"}
    assert replaced == {"homelab-node-config"} and all("triggers" in c.reason for c in d.changed if c.action == "replace")
    md = comment([d])
    assert ":::add" in md and ":::replace" in md and "classDef add" in md


def _root_with_secret(tmp: Path, ciphertext: str) -> Path:
    """The project as another checkout with homelab's SSH key set to `ciphertext`."""
    tmp.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("stacks", ".git", ".venv", "build"):
            (tmp / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "stacks", tmp / "stacks")
    path = tmp / "stacks" / "Pulumi.homelab.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["config"]["clusterforge:sshPrivateKey"] = {"secure": ciphertext}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp


def test_secret_change_is_shown_and_never_printed(renders, tmp_path):
    old_ct, new_ct = "v1:c2VjcmV0LW9uZQ==:AAAA", "v1:c2VjcmV0LXR3bw==:BBBB"
    base = renders("secret-a", "homelab", root=_root_with_secret(tmp_path / "a", old_ct))
    head = renders("secret-b", "homelab", root=_root_with_secret(tmp_path / "b", new_ct))
    old, new = load_plan(base), load_plan(head)
    d = diff_plans(old, new)
    assert d.secrets == [("clusterforge:sshPrivateKey", "changed")] and not d.empty
    md = comment([d])
    assert "- `clusterforge:sshPrivateKey`: changed (value not shown)" in md
    assert "secret sshPrivateKey changed" in summary_of(md)
    fingerprints = {old["secrets"]["clusterforge:sshPrivateKey"], new["secrets"]["clusterforge:sshPrivateKey"]}
    for text in (md, *(p.read_text() for p in (base, head) for p in p.rglob("*") if p.is_file())):
        assert old_ct not in text and new_ct not in text and "c2VjcmV0" not in text
    assert not any(f in md for f in fingerprints)


def test_secret_value_turning_plain_is_not_printed():
    def plan(value):
        return {"stack": "s", "resources": [{
            "urn": "urn:pulumi:s::clusterforge::kubernetes:helm.sh/v3:Release::app", "type": "kubernetes:helm.sh/v3:Release",
            "name": "app", "parent": "", "dependencies": [],
            "inputs": {"chart": "app", "version": "1.0.0", "namespace": "app", "name": "app",
                       "values": {"auth": {"adminPassword": value, "apiKey": value}}}}]}
    md = comment([diff_plans(plan("[secret]"), plan("hunter2-plain"))])
    assert "hunter2" not in md and "`auth.adminPassword`: (secret) → (secret)" in md


def test_directories_of_renders_diff_every_stack(renders, capsys):
    top = renders.top
    for stack in ("onprem", "emulated"):
        renders("all-a", stack)
        renders("all-b", stack, {"emulation.nodeGroups[1].placement[2].replicas": 249} if stack == "emulated" else None)
    out_md = top / "comment.md"
    assert main(["diff", str(top / "all-a"), str(top / "all-b"), "--format", "markdown",
                 "--markdown-out", str(out_md)]) == 1
    md = capsys.readouterr().out
    assert md == out_md.read_text() and md.count(MARKER) == 1 and md.rstrip().endswith(MARKER)
    assert summary_of(md) == ("**clusterforge diff**: emulated: 0 to add, 1 to change, 0 to replace, 0 to remove; "
                              "a3-highgpu-8g/use3 250 → 249 · 1 stack unchanged")
    assert "- **onprem**: no changes" in md
    # Link-free: no address anywhere in the summary, none that GitHub would turn into a link.
    assert not re.search(r"https?://|www\.|@\w|#\d", summary_of(md))
