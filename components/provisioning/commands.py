"""One provisioning Command from one `Work` (the pure plan's unit), and the one per host.

How a command decides to run (pulumi-command): a change of `triggers` replaces it, which runs
`create` with the new inputs; a change of any other input (stdin, environment) is an update,
which runs `update`. The triggers are exactly what the playbook reads that should re-run it
(see work.py), so `update` is a no-op that only records the new inputs: rotating the SSH key
(environment) or a stdin change a trigger leaves out on purpose (a label in a joined node's
kubeadm documents, a host added to upgrade's inventory) runs nothing. No ignoreChanges: the
engine would then keep the old stdin and key in state and a later replacement would run with
them. The kubeconfig command is the exception: its stdout is the kubeconfig output, so its
update runs it again (one host, the first control plane).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components.plan.provisioning.role_reads import phase_hash
from components.plan.provisioning.work import Work

# Relative to the project: the provider runs commands in the program's working directory.
RUN_PHASE = "scripts/run-phase"

# The kubeconfig phase writes admin.conf (server rewritten) to a 0600 temp file and the
# command prints it: that stdout is kept only as a secret; the run summary goes to stderr.
KUBECONFIG_COMMAND = (
    'set -eu; out="$(mktemp)"; trap \'rm -f "$out"\' EXIT; '
    f'CLUSTERFORGE_KUBECONFIG_OUT="$out" {RUN_PHASE} kubeconfig --input - >&2; '
    'cat "$out"'
)

NO_OP_UPDATE = "echo 'clusterforge: inputs recorded (SSH key or untriggered input); nothing to re-run' >&2"


def work_command(name: str, work: pulumi.Output[Work], environment: Mapping[str, pulumi.Input[str]] | None,
                 opts: pulumi.ResourceOptions, phase: str | None = None) -> command.local.Command:
    """`phase`: the playbook when known while planning (its work may wait for apply)."""
    kubeconfig = name.endswith("kubeconfig")
    create = KUBECONFIG_COMMAND if kubeconfig else f"{RUN_PHASE} {{phase}} --input -"
    return command.local.Command(
        name,
        create=create.format(phase=phase) if phase else work.apply(lambda w: create.format(phase=w.phase)),
        update=None if kubeconfig else NO_OP_UPDATE,
        environment=dict(environment) if environment else None,
        stdin=work.apply(lambda w: w.stdin),
        # The playbook's part stays known while planning even when the inputs wait for apply.
        triggers=[f"playbook:{phase_hash(phase)}", work.apply(lambda w: w.triggers[1])] if phase
        else work.apply(lambda w: w.triggers),
        interpreter=["/bin/bash", "-c"] if kubeconfig else None,
        # Progress (stderr) streams to the Pulumi log; stdout is the JSON summary, or for the
        # kubeconfig phase the secret kubeconfig, which is never logged.
        logging=command.local.Logging.STDERR,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["stdout"] if kubeconfig else None)),
    )


@dataclass
class NodeArgs:
    """What one host's provisioning needs: its work and what its prepare waits for."""
    prepare: pulumi.Output[Work]
    join: pulumi.Output[Work] | None     # None for the first control plane (it inits)
    environment: Mapping[str, pulumi.Input[str]] | None
    prepare_after: Sequence[pulumi.Resource]


class ProvisionedNode(pulumi.ComponentResource):
    """One host's commands: `prepare` (that host alone) and `join` (that host and the first
    control plane, for the token). Other hosts' changes never touch them. The join waits for
    cluster-wide work declared after the prepares, so it is added by `add_join`."""

    def __init__(self, host: str, args: NodeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("clusterforge:provisioning:Node", f"node-{host}", None, opts)
        self._host, self._args = host, args
        self.prepare = work_command(f"prepare-{host}", args.prepare, args.environment,
                                    pulumi.ResourceOptions(parent=self, depends_on=list(args.prepare_after)))
        self.join: command.local.Command | None = None
        self.register_outputs({})

    def add_join(self, after: Sequence[pulumi.Resource]) -> command.local.Command | None:
        if self._args.join is not None:
            self.join = work_command(f"join-{self._host}", self._args.join, self._args.environment,
                                     pulumi.ResourceOptions(parent=self, depends_on=[self.prepare, *after]))
        return self.join
