"""Node provisioning and the kubeadm bootstrap: local Commands cut per host and per concern.

Each host is a `ProvisionedNode` holding its `prepare` and `join` commands, whose inventory
holds that host (join: and the first control plane) and whose triggers are only what those
playbooks read for it (work.py). Cluster-wide commands with narrow triggers: `control-plane`
(kubeadm init: the init documents), `upgrade` (the Kubernetes version), `cert-sans` (the API
server certificate's SANs), `node-config` (labels and taints), `remove-node` (hosts.retire),
`kubeconfig` (the client endpoint); with SSO `authentication` (the API server's file, on
every control plane, before init; it holds the issuer's CA, `issuer_ca`). Adding a worker re-runs its two commands and node-config;
an unchanged stack runs nothing. The engine runs them in parallel where the graph allows:
every prepare at once, control-plane joins one after another, workers' joins at once.

Each command runs `scripts/run-phase PHASE --input -` on the machine running Pulumi with the
inventory on stdin (an environment variable holds at most 128 KiB); the SSH key travels in
the environment as a secret, and rotating it re-runs nothing (see commands.py). No `dir`
and a project-relative script, so the state is the same from every checkout and Python.
One more command, `reset-on-destroy`, runs the reset phase when the stack is destroyed.
"""
from __future__ import annotations

import json

import pulumi
import pulumi_command as command

from components.access import ClusterAccess
from components.config.model import StackConfig
from components.hosts.outputs import HostOutput, HostsResult
from components.plan.deployed import Deployed
from components.plan.hosts.spec import HostSpec
from components.plan.provisioning.endpoint import init_host
from components.plan.provisioning.work import AUTHENTICATION, WorkPlan, plan_work
from components.provisioning.commands import RUN_PHASE, NodeArgs, ProvisionedNode, work_command

__all__ = ["RUN_PHASE", "RESET_ON_DESTROY", "build_provisioning", "input_document"]

_RESET_ON_DESTROY = (
    'set -eu; if [ -n "${CLUSTERFORGE_SKIP_RESET:-}" ]; then '
    'echo "clusterforge: CLUSTERFORGE_SKIP_RESET is set, nodes are not reset" >&2; exit 0; fi; '
    f'{RUN_PHASE} reset --input - >&2'
)


def _specs(hosts: list[HostOutput]) -> pulumi.Output[list[HostSpec]]:
    """HostSpecs once every address is known (cloud addresses arrive at apply)."""
    addresses = [pulumi.Output.all(h.ssh_address, h.internal_address) for h in hosts]
    return pulumi.Output.all(*addresses).apply(lambda known: [
        HostSpec(name=h.name, role=h.role, ssh_address=ssh, internal_address=internal,
                 ssh_user=h.ssh_user, labels=h.labels, taints=h.taints, cpus=h.cpus,
                 memory_mb=h.memory_mb, gpus=h.gpus)
        for h, (ssh, internal) in zip(hosts, known)])


def input_document(inventory: dict, variables: dict) -> str:
    """What a phase reads on stdin (runner --input -)."""
    return json.dumps({"inventory": inventory, "variables": variables}, sort_keys=True)


RESET_ON_DESTROY = "reset-on-destroy"


def _reset_aliases(cfg: StackConfig, deployed: Deployed | None) -> list[pulumi.Alias]:
    """The reset command's names before it had a fixed one: `<cluster>-reset-on-destroy`."""
    names = {cfg.cluster.name} | ({deployed.cluster_name} if deployed and deployed.cluster_name else set())
    return [pulumi.Alias(name=f"{name}-{RESET_ON_DESTROY}") for name in sorted(names)]


def build_provisioning(cfg: StackConfig, hosts: HostsResult,
                       secrets: dict[str, pulumi.Output[str]], parent: pulumi.Resource,
                       deployed: Deployed | None = None,
                       issuer_ca: pulumi.Output[str] | None = None) -> ClusterAccess:
    """`issuer_ca`: with SSO, the cluster CA's certificate (the issuer's), for the API server."""
    plan: pulumi.Output[WorkPlan] = _specs(hosts.hosts).apply(lambda s: plan_work(cfg, s))
    key_names = sorted({h.ssh_key_secret for h in hosts.hosts})
    ssh_key = pulumi.Output.secret(secrets[key_names[0]]) if key_names and key_names[0] in secrets else None
    environment: dict[str, pulumi.Input[str]] = {}
    if ssh_key is not None:
        environment["CLUSTERFORGE_SSH_KEY"] = ssh_key

    # `pulumi destroy` resets the nodes (kubeadm reset) before their machines go. pulumi-command
    # runs `delete` whenever the resource is deleted or replaced, so nothing else may do either:
    # - no create or update: an input change (host added, key rotated) is an update that runs
    #   nothing and keeps the new inventory for the destroy;
    # - no triggers (the only Command input that replaces it) and no replaceOnChanges;
    # - one name whatever the cluster is called, aliased to the cluster-named one of earlier
    #   versions (current and last deployed cluster name): no upgrade or rename deletes it;
    # - protected while cluster.protect is on: a change that stops declaring it fails instead.
    # Every phase depends on it, so a destroy deletes it after them and before the machines.
    # CLUSTERFORGE_SKIP_RESET=1 pulumi destroy skips the reset (nodes already gone or reused).
    reset = command.local.Command(
        RESET_ON_DESTROY,
        delete=_RESET_ON_DESTROY,
        environment=environment or None,
        stdin=plan.apply(lambda p: input_document(p.inventory, {})),
        interpreter=["/bin/bash", "-c"],
        logging=command.local.Logging.STDERR,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(hosts.resources),
                                    protect=cfg.cluster.protect, aliases=_reset_aliases(cfg, deployed)),
    )

    # The host set is known while planning (only addresses wait for apply).
    planned = [h for h in hosts.hosts if h.name not in cfg.hosts.retire]
    nodes: dict[str, ProvisionedNode] = {}
    for host in sorted(planned, key=lambda h: h.name):
        machine = [host.resource] if host.resource is not None else []
        first = host.name == init_host(planned).name
        nodes[host.name] = ProvisionedNode(host.name, NodeArgs(
            prepare=plan.apply(lambda p, n=host.name: p.nodes[n].prepare),
            join=None if first else plan.apply(lambda p, n=host.name: p.nodes[n].join),
            environment=environment or None, prepare_after=[reset, *machine]),
            opts=pulumi.ResourceOptions(parent=parent))

    def cluster_command(name: str, after: list[pulumi.Resource],
                        work: pulumi.Output[WorkPlan] = plan) -> command.local.Command:
        return work_command(f"{cfg.cluster.name}-{name}", work.apply(lambda p: p.cluster[name]),
                            environment or None, pulumi.ResourceOptions(parent=parent, depends_on=after),
                            phase=name if work is not plan else None)

    before_init = [nodes[init_host(planned).name].prepare]
    if issuer_ca is not None:
        # Every control plane's API server reads the file from its start (init, joins). Only
        # this command waits for the CA: the others' inputs stay known while planning.
        with_ca = pulumi.Output.all(_specs(hosts.hosts), issuer_ca).apply(lambda a: plan_work(cfg, a[0], a[1]))
        before_init.append(cluster_command(AUTHENTICATION, [nodes[h.name].prepare for h in planned
                                                            if h.role == "control-plane"], with_ca))
    init = cluster_command("control-plane", before_init)
    upgrade = cluster_command("upgrade", [init])
    cert_sans = cluster_command("cert-sans", [upgrade])
    # Control planes join one after another (each adds an etcd member); workers all at once.
    joins: list[command.local.Command] = []
    previous_control_plane: list[pulumi.Resource] = []
    for host in sorted(planned, key=lambda h: h.name):
        after = [cert_sans, *(previous_control_plane if host.role == "control-plane" else [])]
        join = nodes[host.name].add_join(after)
        if join is not None:
            joins.append(join)
            if host.role == "control-plane":
                previous_control_plane = [join]
    node_config = cluster_command("node-config", [init, *joins])
    # After every join (a replacement joins before its retiree leaves), through node-config.
    remove = cluster_command("remove-node", [node_config])
    kubeconfig = cluster_command("kubeconfig", [cert_sans])
    access = pulumi.Output.secret(kubeconfig.stdout)
    return ClusterAccess(kubeconfig=access, ready=[kubeconfig, node_config, remove])
