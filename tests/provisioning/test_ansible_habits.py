"""The playbook tree's contracts: every role declares its inputs (meta/argument_specs.yml) and
carries a tag, every input is an inventory var (no extra vars), and the playbooks run by hand
with ansible-playbook against the rendered inventory."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from clusterforge.stackfile import prepare_offline, read_stack
from components.plan.hosts.expand import host_specs
from components.plan.provisioning.inventory import host_vars
from components.plan.provisioning.work import plan_work

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
ROLES = sorted(p.name for p in (PLAYBOOKS / "roles").iterdir())
STACKS = ("homelab", "onprem", "cloud")


def plans():
    for stack in STACKS:
        cfg, _ = prepare_offline(read_stack(stack))
        yield stack, plan_work(cfg, host_specs(cfg))


def stack_inputs() -> set[str]:
    names = {"node_role"} | set(host_vars(host_specs(prepare_offline(read_stack("onprem"))[0])[0]))
    for _, plan in plans():
        names |= set(plan.inventory["all"]["vars"])
    return names


def role_words(role: str) -> set[str]:
    words: set[str] = set()
    for path in (PLAYBOOKS / "roles" / role).rglob("*"):
        if path.is_file() and "meta" not in path.parts:
            words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path.read_text(errors="replace")))
    return words


@pytest.mark.parametrize("role", ROLES)
def test_every_role_declares_the_stack_inputs_it_reads(role):
    specs = yaml.safe_load((PLAYBOOKS / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    declared = {name for entry in specs.values() for name in (entry.get("options") or {})}
    read = role_words(role) & stack_inputs() - {"ansible_host", "ansible_user"}
    assert read <= declared, f"{role} reads {sorted(read - declared)} without declaring them"
    tasks = {p.stem for p in (PLAYBOOKS / "roles" / role / "tasks").glob("*.yml")}
    assert set(specs) <= tasks, f"{role}: entry points without a tasks file: {sorted(set(specs) - tasks)}"


def test_every_role_a_playbook_runs_carries_its_name_as_a_tag():
    def walk(node, found):
        if isinstance(node, list):
            for item in node:
                walk(item, found)
        elif isinstance(node, dict):
            for role in node.get("roles") or []:
                found.append((role["role"], role.get("tags") or []))
            include = node.get("ansible.builtin.include_role")
            if include:
                found.append((include["name"], node.get("tags") or []))
                found.append((include["name"], (include.get("apply") or {}).get("tags") or []))
            for key in ("tasks", "block"):
                walk(node.get(key), found)
    for playbook in sorted(PLAYBOOKS.glob("*.yml")):
        found: list = []
        walk(yaml.safe_load(playbook.read_text()), found)
        for role, tags in found:
            assert role in tags, f"{playbook.name}: role {role} without the tag {role}"


def test_host_keys_are_checked_when_the_playbooks_run_by_hand():
    cfg = PLAYBOOKS / "ansible.cfg"
    assert re.search(r"(?m)^host_key_checking = True$", cfg.read_text())


def test_every_command_gets_its_inputs_as_inventory_vars_taken_from_the_cluster_inventory():
    for stack, plan in plans():
        full = plan.inventory["all"]["vars"]
        works = [w for n in plan.nodes.values() for w in (n.prepare, n.join) if w] + list(plan.cluster.values())
        for work in works:
            assert '"variables": {}' in work.stdin, (stack, work.phase)
            for name, value in work.inventory["all"]["vars"].items():
                if name == "kubeadm_documents":
                    assert all(full[name][host] == docs for host, docs in value.items())
                else:
                    assert full[name] == value, (stack, work.phase, name)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from clusterforge.render import render_stack
    out = tmp_path_factory.mktemp("render") / "homelab"
    render_stack("homelab", out)
    return out / "inventory.yaml"


@pytest.mark.parametrize("playbook", sorted(p.name for p in PLAYBOOKS.glob("*.yml")))
def test_playbooks_run_by_hand_against_the_rendered_inventory(rendered, playbook):
    """What a Kubespray user does: ansible-playbook -i inventory.yaml, here without touching
    a host (--syntax-check, then --list-hosts, which resolves every play's hosts)."""
    ansible = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "ansible-playbook"
    for mode in ("--syntax-check", "--list-hosts"):
        run = subprocess.run([str(ansible), "-i", str(rendered), playbook, mode], cwd=PLAYBOOKS,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    if playbook == "prepare.yml":
        assert all(host in run.stdout for host in ("cp-1", "cp-3", "worker-3"))
