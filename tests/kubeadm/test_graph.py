"""The provisioning commands in the real program under Pulumi's mock runtime: one Node
component per host (prepare, join), cluster-wide commands, and triggers made only of what
each playbook reads, so an edit re-runs only the commands it concerns."""
from __future__ import annotations

import json

import pytest

from clusterforge.mockrun import SECRET_TEXT, run_stack
from clusterforge.stackfile import prepare_offline, read_stack
from components.provisioning.commands import NO_OP_UPDATE
from components.plan.provisioning.role_reads import phase_hash
from components.plan.provisioning.work import cluster_work, digest

COMMAND = "command:local:Command"
NODE = "clusterforge:provisioning:Node"
HOSTS = {"homelab": ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2", "worker-3"]}


@pytest.fixture(scope="module", params=["homelab", "onprem"])
def recording(request):
    return request.param, run_stack(request.param)


def inventory_of(command):
    document = json.loads(command.inputs["stdin"])
    assert document["variables"] == {}     # every input is in the inventory's vars
    return document["inventory"]


def hosts_of(inventory):
    found = []

    def walk(group):
        found.extend((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            walk(child or {})
    walk(inventory["all"])
    return sorted(set(found))


def triggers(rec):
    return {r.name: r.inputs.get("triggers") for r in rec.of_type(COMMAND)}


def node_names(rec):
    return sorted(r.name.removeprefix("node-") for r in rec.of_type(NODE))


def test_a_node_component_per_host_holds_its_prepare_and_join(recording):
    stack, rec = recording
    hosts = node_names(rec)
    assert hosts == HOSTS.get(stack, hosts) and len(hosts) >= 5
    first = hosts[0]
    for host in hosts:
        component = rec.named(f"node-{host}")
        assert component.parent.endswith(f"clusterforge:index:Cluster::{stack}")
        assert rec.named(f"prepare-{host}").parent == component.urn
        if host != first:
            assert rec.named(f"join-{host}").parent == component.urn
    assert not [r for r in rec.of_type(COMMAND) if r.name == f"join-{first}"]   # it inits
    assert sorted(r.name for r in rec.of_type(COMMAND)) == sorted(
        [f"prepare-{h}" for h in hosts] + [f"join-{h}" for h in hosts[1:]]
        + [f"{stack}-{w}" for w in cluster_work(prepare_offline(read_stack(stack))[0])] + ["reset-on-destroy"])


def test_each_host_command_sees_only_its_host_and_for_join_the_first_control_plane(recording):
    stack, rec = recording
    hosts = node_names(rec)
    for host in hosts:
        prepare = inventory_of(rec.named(f"prepare-{host}"))
        assert hosts_of(prepare) == [host]
        assert "kubeadm_documents" not in prepare["all"]["vars"]
        if host != hosts[0]:
            join = inventory_of(rec.named(f"join-{host}"))
            assert hosts_of(join) == sorted({host, hosts[0]})
            assert list(join["all"]["vars"]["kubeadm_documents"]) == [host]
    init = inventory_of(rec.named(f"{stack}-control-plane"))
    assert hosts_of(init) == [hosts[0]] and list(init["all"]["vars"]["kubeadm_documents"]) == [hosts[0]]
    assert hosts_of(inventory_of(rec.named(f"{stack}-upgrade"))) == hosts
    assert hosts_of(inventory_of(rec.named(f"{stack}-node-config"))) == [hosts[0]]
    assert hosts_of(inventory_of(rec.named(f"{stack}-kubeconfig"))) == [hosts[0]]


def test_the_graph_orders_init_upgrade_sans_joins_then_node_config(recording):
    stack, rec = recording
    hosts = node_names(rec)
    reset = rec.named("reset-on-destroy")

    def deps(name):
        return set(rec.named(name).dependencies)
    for host in hosts:
        assert reset.urn in deps(f"prepare-{host}")
    machines = {r.name: r.urn for r in rec.resources
                if r.custom and r.type.startswith("proxmoxve:index/vm") and r.name in hosts}
    for host, urn in machines.items():
        assert urn in deps(f"prepare-{host}")
        others = set(machines.values()) - {urn}
        assert not others & deps(f"prepare-{host}")   # a host's prepare waits for its machine only
    assert rec.named(f"prepare-{hosts[0]}").urn in deps(f"{stack}-control-plane")
    assert rec.named(f"{stack}-control-plane").urn in deps(f"{stack}-upgrade")
    assert rec.named(f"{stack}-upgrade").urn in deps(f"{stack}-cert-sans")
    joins = [f"join-{h}" for h in hosts[1:]]
    for join in joins:
        assert {rec.named(f"{stack}-cert-sans").urn, rec.named(join.replace("join", "prepare")).urn} <= deps(join)
        assert rec.named(join).urn in deps(f"{stack}-node-config")
    assert rec.named(f"{stack}-node-config").urn in deps(f"{stack}-remove-node")   # so after every join
    # control planes join one after another (etcd members); workers do not wait for each other
    control_planes = [h for h in hosts[1:] if h in inventory_of(rec.named(f"join-{h}"))
                      ["all"]["children"]["k8s_cluster"]["children"]["control_plane"]["hosts"]]
    for before, after in zip(control_planes, control_planes[1:]):
        assert rec.named(f"join-{before}").urn in deps(f"join-{after}")
    workers = [h for h in hosts[1:] if h not in control_planes]
    for worker in workers:
        assert not {rec.named(f"join-{w}").urn for w in workers} & deps(f"join-{worker}")


def test_triggers_are_the_playbook_files_and_what_the_work_reads(recording):
    from components.plan.hosts.expand import host_specs
    from components.plan.provisioning.work import plan_work
    stack, rec = recording
    commands = {r.name: r for r in rec.of_type(COMMAND) if r.name != "reset-on-destroy"}
    for name, command in commands.items():
        phase = command.inputs["create"].split("run-phase ")[1].split()[0]
        assert command.inputs["triggers"][0] == f"playbook:{phase_hash(phase)}", name
    # the program's triggers are the pure plan's (the engine diffs them; tests/kubeadm runs the plan)
    from clusterforge.stackfile import prepare_offline, read_stack
    cfg, _ = prepare_offline(read_stack(stack))
    plan = plan_work(cfg, host_specs(cfg))
    for host, node in plan.nodes.items():
        assert commands[f"prepare-{host}"].inputs["triggers"] == node.prepare.triggers
        assert commands[f"prepare-{host}"].inputs["stdin"] == node.prepare.stdin
    upgrade = commands[f"{stack}-upgrade"]
    assert upgrade.inputs["triggers"][1] == f"inputs:{digest({'kubernetes_version': plan.cluster['upgrade'].trigger['kubernetes_version']})}"


def changed(before, after):
    """Commands the engine would run: new ones, and those whose triggers differ."""
    return sorted(name for name, value in after.items() if before.get(name) != value)


def test_an_unchanged_stack_changes_no_trigger(recording):
    stack, rec = recording
    assert changed(triggers(rec), triggers(run_stack(stack))) == []


def test_adding_a_worker_triggers_only_that_workers_commands_and_node_config():
    rec = run_stack("homelab")
    grown = run_stack("homelab", {"hosts.pools[1].count": 4})
    assert changed(triggers(rec), triggers(grown)) == ["homelab-node-config", "join-worker-4", "prepare-worker-4"]


def test_a_label_or_taint_change_triggers_node_config_only():
    rec = run_stack("homelab")
    labelled = run_stack("homelab", {"hosts.pools[1].labels": {"tier": "web"}})
    assert changed(triggers(rec), triggers(labelled)) == ["homelab-node-config"]
    tainted = run_stack("homelab", {"hosts.pools[1].taints": [{"key": "dedicated", "value": "web",
                                                               "effect": "NoSchedule"}]})
    assert changed(triggers(rec), triggers(tainted)) == ["homelab-node-config"]


def test_narrow_cluster_triggers_cert_sans_version_and_endpoint():
    rec = run_stack("homelab")
    sans = run_stack("homelab", {"kubernetes.certSans": ["k8s.home.arpa", "api.home.arpa"]})
    # the init documents name the SANs too; init is skipped on a running cluster (admin.conf)
    assert changed(triggers(rec), triggers(sans)) == ["homelab-cert-sans", "homelab-control-plane"]
    version = run_stack("homelab", {"kubernetes.version": "1.36.3"})
    assert {"homelab-upgrade"} <= set(changed(triggers(rec), triggers(version)))
    assert not [n for n in changed(triggers(rec), triggers(version)) if n.startswith("join-")]


def test_updates_run_nothing_so_a_rotated_key_re_runs_no_work(recording):
    """pulumi-command runs `update` for a change of any input but the triggers (a replacement
    runs `create`): a rotated key or an untriggered stdin change runs the no-op update."""
    stack, rec = recording
    for command in rec.of_type(COMMAND):
        if command.name == "reset-on-destroy":
            continue
        if command.name.endswith("-kubeconfig"):   # its stdout is the kubeconfig: update re-runs it
            assert "update" not in command.inputs
        else:
            assert command.inputs["update"] == NO_OP_UPDATE and "run-phase" not in NO_OP_UPDATE
        assert command.inputs["environment"] == {"CLUSTERFORGE_SSH_KEY": SECRET_TEXT}
        assert "CLUSTERFORGE_SSH_KEY" not in json.dumps(command.inputs["triggers"])
        assert not command.options.get("ignoreChanges"), command.name  # see commands.py: stale inputs


def test_destroy_resets_the_nodes_through_a_command_that_is_never_replaced(recording):
    stack, rec = recording
    reset = rec.named("reset-on-destroy")
    assert "create" not in reset.inputs and "update" not in reset.inputs   # nothing runs on up
    assert "scripts/run-phase reset --input -" in reset.inputs["delete"]
    assert "CLUSTERFORGE_SKIP_RESET" in reset.inputs["delete"]
    assert "triggers" not in reset.inputs    # never replaced, so never a reset of a live cluster
    assert hosts_of(inventory_of(reset)) == node_names(rec)
    machines = [r.urn for r in rec.resources if r.custom and r.type.startswith("proxmoxve:index/vm")]
    assert set(machines) <= set(reset.dependencies)


def test_no_secret_in_plain_text_and_the_kubeconfig_is_secret(recording):
    stack, rec = recording
    for command in rec.of_type(COMMAND):
        env = command.inputs["environment"]
        assert env.get("CLUSTERFORGE_SSH_KEY", SECRET_TEXT) == SECRET_TEXT
        assert "PRIVATE KEY" not in json.dumps(command.inputs)
        assert "CLUSTERFORGE_SSH_KEY" not in command.inputs.get("create", "") + command.inputs.get("delete", "")
    assert rec.outputs["kubeconfig"] == SECRET_TEXT


def test_the_environment_names_are_the_ones_the_runner_reads(recording):
    from components.provisioning import runner
    for command in recording[1].of_type(COMMAND):
        for name in command.inputs["environment"]:
            assert name in runner.__doc__, name


def test_commands_name_no_checkout_path_and_no_interpreter(recording):
    """What a command keeps in state is the same from every clone and every Python start:
    no `dir`, the runner by a path relative to the project, no interpreter path."""
    import sys
    from pathlib import Path

    from components.provisioning import RUN_PHASE
    stack, rec = recording
    root = str(Path(__file__).resolve().parents[2])
    for command in rec.of_type(COMMAND):
        assert "dir" not in command.inputs, command.name
        text = json.dumps(command.inputs)
        assert root not in text and sys.executable not in text and "python" not in text, command.name
        script = command.inputs.get("create") or command.inputs["delete"]
        assert f"{RUN_PHASE} " in script, command.name
    assert (Path(root) / RUN_PHASE).stat().st_mode & 0o111
