"""Node provisioning and the kubeadm bootstrap: one local Command per phase.

Each phase runs `scripts/run-phase PHASE --input -` (the runner, ansible-runner) on the
machine running Pulumi; commands never run during preview. Inventory and variables go in
on stdin (an environment variable holds at most 128 KiB, a few hundred hosts' worth); the
SSH key travels in the environment as a secret; none of them is on the command line. The
commands name the script by a path relative to the project, with no `dir` (they run where
the program runs), so the state is the same from every checkout and every Python.
Triggers are the hashes of the playbook tree, the inventory and the variables, so an
unchanged stack previews as no change and a changed role replaces (re-runs) its phase.
One more command, `reset-on-destroy`, runs the reset phase when the stack is destroyed.
"""
from __future__ import annotations

import json

import pulumi
import pulumi_command as command

from ..access import ClusterAccess
from ..config.model import StackConfig
from ..deployed import Deployed
from ..hosts.outputs import HostOutput, HostsResult
from ..hosts.spec import HostSpec
from .plan import PHASES, digest, phase_inputs
from .tree_hash import PLAYBOOKS_DIR, playbook_tree_hash

# Relative to the project: the provider runs commands in the program's working directory.
RUN_PHASE = "scripts/run-phase"

# The kubeconfig phase writes admin.conf (server rewritten) to a 0600 temp file and the
# command prints it: that stdout is kept only as a secret; the run summary goes to stderr.
_KUBECONFIG_COMMAND = (
    'set -eu; out="$(mktemp)"; trap \'rm -f "$out"\' EXIT; '
    f'CLUSTERFORGE_KUBECONFIG_OUT="$out" {RUN_PHASE} kubeconfig --input - >&2; '
    'cat "$out"'
)


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
                       deployed: Deployed | None = None) -> ClusterAccess:
    specs = _specs(hosts.hosts)
    inputs = specs.apply(lambda s: phase_inputs(cfg, s))
    inventory = inputs.apply(lambda pair: pair[0])
    variables = inputs.apply(lambda pair: pair[1])
    key_names = sorted({h.ssh_key_secret for h in hosts.hosts})
    ssh_key = pulumi.Output.secret(secrets[key_names[0]]) if key_names and key_names[0] in secrets else None
    stdin = inputs.apply(lambda pair: input_document(*pair))
    environment: dict[str, pulumi.Input[str]] = {}
    if ssh_key is not None:
        environment["CLUSTERFORGE_SSH_KEY"] = ssh_key
    triggers = [f"playbooks:{playbook_tree_hash(PLAYBOOKS_DIR)}",
                inventory.apply(lambda i: f"inventory:{digest(i)}"),
                variables.apply(lambda v: f"variables:{digest(v)}")]

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
        stdin=stdin,
        interpreter=["/bin/bash", "-c"],
        logging=command.local.Logging.STDERR,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(hosts.resources),
                                    protect=cfg.cluster.protect, aliases=_reset_aliases(cfg, deployed)),
    )
    previous: list[pulumi.Resource] = [reset, *hosts.resources]
    commands: dict[str, command.local.Command] = {}
    for phase in PHASES:
        kubeconfig_phase = phase == "kubeconfig"
        create = _KUBECONFIG_COMMAND if kubeconfig_phase else f"{RUN_PHASE} {phase} --input -"
        commands[phase] = command.local.Command(
            f"{cfg.cluster.name}-{phase}",
            create=create,
            environment=environment or None,
            stdin=stdin,
            triggers=triggers,
            interpreter=["/bin/bash", "-c"] if kubeconfig_phase else None,
            # Progress (stderr) streams to the Pulumi log; stdout is the JSON summary,
            # or for the kubeconfig phase the secret kubeconfig, which is never logged.
            logging=command.local.Logging.STDERR,
            opts=pulumi.ResourceOptions(
                parent=parent, depends_on=previous,
                additional_secret_outputs=["stdout"] if kubeconfig_phase else None),
        )
        previous = [commands[phase]]

    kubeconfig = pulumi.Output.secret(commands["kubeconfig"].stdout)
    return ClusterAccess(kubeconfig=kubeconfig, ready=[commands["kubeconfig"]])
