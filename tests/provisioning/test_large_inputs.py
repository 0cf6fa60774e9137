"""~500 hosts: the phases' inputs go on stdin (an environment variable holds at most
128 KiB on Linux, MAX_ARG_STRLEN), and the runner, started the way the command starts it,
reads them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from ipaddress import IPv4Address

import pytest

from clusterforge import PROJECT_ROOT
from clusterforge.mockrun import run_stack
from components.provisioning import RESET_ON_DESTROY
from components.provisioning.plan import PHASES

ENV_VALUE_LIMIT = 128 * 1024
WORKERS = 495   # + 3 control planes + 2 GPU hosts = 500


@pytest.fixture(scope="module")
def big():
    addresses = [str(IPv4Address("172.20.0.20") + i) for i in range(WORKERS)]
    return run_stack("onprem", {"hosts.pools[1].addresses": addresses})


def test_no_environment_value_reaches_the_limit_and_stdin_carries_every_host(big):
    # The reset command has a fixed name (issue 17a); the phases are named by the cluster.
    for name in (*(f"onprem-{phase}" for phase in PHASES), RESET_ON_DESTROY):
        command = big.named(name)
        for variable, value in (command.inputs.get("environment") or {}).items():
            assert len(f"{variable}={value}".encode()) < ENV_VALUE_LIMIT, (name, variable)
        document = json.loads(command.inputs["stdin"])
        workers = document["inventory"]["all"]["children"]["k8s_cluster"]["children"]["workers"]["hosts"]
        assert len(workers) == WORKERS + 2
        assert len(document["variables"]["kubeadm_documents"]) == WORKERS + 5
    # What would have been in the environment before: past the limit.
    document = json.loads(big.named("onprem-prepare").inputs["stdin"])
    assert len(json.dumps(document["variables"], sort_keys=True)) > ENV_VALUE_LIMIT


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
    command = big.named("onprem-prepare")
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    shutil.copy(PROJECT_ROOT / "playbooks" / "ansible.cfg", playbooks / "ansible.cfg")
    (playbooks / "prepare.yml").write_text(COUNT_PLAYBOOK.format(workers=WORKERS + 2, hosts=WORKERS + 5))
    env = {**os.environ, "CLUSTERFORGE_PLAYBOOKS_DIR": str(playbooks), "CLUSTERFORGE_ANSIBLE_STRATEGY": "linear"}
    run = subprocess.run(["/bin/sh", "-c", command.inputs["create"]], cwd=PROJECT_ROOT, input=command.inputs["stdin"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["ok"] and summary["hosts"]["localhost"] == {"ok": 1, "changed": 0, "failed": 0,
                                                               "unreachable": 0, "skipped": 0}, summary
