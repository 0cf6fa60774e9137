"""~500 hosts: the phases' inputs go on stdin (an environment variable holds at most
128 KiB on Linux, MAX_ARG_STRLEN), and the runner, started the way the command starts it,
reads them. The commands that carry every host are the cluster-wide ones (upgrade, and
reset-on-destroy with every input); a host's own commands carry that host."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from ipaddress import IPv4Address

import pytest

from clusterforge import PROJECT_ROOT
from clusterforge.mockrun import run_stack

ENV_VALUE_LIMIT = 128 * 1024
WORKERS = 495   # + 3 control planes + 2 GPU hosts = 500


@pytest.fixture(scope="module")
def big():
    addresses = [str(IPv4Address("172.20.0.20") + i) for i in range(WORKERS)]
    return run_stack("onprem", {"hosts.pools[1].addresses": addresses})


def test_no_environment_value_reaches_the_limit_and_stdin_carries_every_host(big):
    for command in big.of_type("command:local:Command"):
        for name, value in (command.inputs.get("environment") or {}).items():
            assert len(f"{name}={value}".encode()) < ENV_VALUE_LIMIT, (command.name, name)
    for name in ("onprem-upgrade", "reset-on-destroy"):
        document = json.loads(big.named(name).inputs["stdin"])
        workers = document["inventory"]["all"]["children"]["k8s_cluster"]["children"]["workers"]["hosts"]
        assert len(workers) == WORKERS + 2
    document = json.loads(big.named("reset-on-destroy").inputs["stdin"])
    assert len(document["inventory"]["all"]["vars"]["kubeadm_documents"]) == WORKERS + 5
    # What would have been in the environment before: past the limit.
    assert len(json.dumps(document["inventory"]["all"]["vars"], sort_keys=True)) > ENV_VALUE_LIMIT


# A TEST DOUBLE of the playbook tree: one local play that checks what the runner handed Ansible.
COUNT_PLAYBOOK = """\
- name: Count what the runner was given
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Every host is in the inventory and the variables arrived
      ansible.builtin.assert:
        that:
          - groups['workers'] | length == {workers}
          - groups['control_plane'] | length == 3
          - kubeadm_documents | length == {hosts}
          - kubeadm_init_host == 'cp-1'
"""


def test_the_runner_reads_500_hosts_from_stdin_as_the_command_starts_it(big, tmp_path):
    command = big.named("reset-on-destroy")
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    shutil.copy(PROJECT_ROOT / "playbooks" / "ansible.cfg", playbooks / "ansible.cfg")
    (playbooks / "reset.yml").write_text(COUNT_PLAYBOOK.format(workers=WORKERS + 2, hosts=WORKERS + 5))
    env = {**os.environ, "CLUSTERFORGE_PLAYBOOKS_DIR": str(playbooks), "CLUSTERFORGE_ANSIBLE_STRATEGY": "linear"}
    run = subprocess.run(["/bin/bash", "-c", command.inputs["delete"]], cwd=PROJECT_ROOT, input=command.inputs["stdin"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads([line for line in run.stderr.splitlines() if line.startswith("{")][-1])  # delete: summary to stderr
    assert summary["ok"] and summary["hosts"]["localhost"] == {"ok": 1, "changed": 0, "failed": 0,
                                                               "unreachable": 0, "skipped": 0}, summary
