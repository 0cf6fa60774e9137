"""Emulated clusters: a kind control plane and KWOK node groups (Pulumi wiring).

The pure parts live in sibling modules (nodes, stages, kwok, planner, capacity); this
file only declares resources. A node group is ONE `local.Command` whatever its size:
its stdin carries the compact group spec, and `python -m components.emulation.apply`
turns that into server-side applies of exactly the nodes that differ.
"""
from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pulumi_command import local

from components.access import ClusterAccess
from components.config.model import StackConfig
from components.emulation.apply import KUBECONFIG_ENV
from components.kube_objects import declare
from components.plan.emulation import kwok, kwokctl, stages
from components.plan.emulation.dashboard import dashboard_configmap
from components.plan.emulation.nodes import emulation_specs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Relative to the project directory, where Pulumi runs the program and its commands.
APPLY_COMMAND = ".venv/bin/python -m components.emulation.apply"


def build_kind_cluster(cfg: StackConfig, parent: pulumi.Resource) -> ClusterAccess:
    """`kind create cluster` / `kind delete cluster`; the kubeconfig comes back as a secret."""
    kind = cfg.hosts.kind_cluster
    assert kind is not None  # the hosts rules require hosts.kindCluster for kind
    name = kind.name
    # Idempotent: a re-run after a failed `pulumi up` finds the cluster and goes on. The
    # kubeconfig goes to a temporary file, leaving the user's ~/.kube/config alone.
    create = (
        "set -eu; cfg=$(mktemp); kc=$(mktemp); trap 'rm -f \"$cfg\" \"$kc\"' EXIT; "
        "printf '%s\\n' \"$KIND_CONFIG\" > \"$cfg\"; "
        f"if ! kind get clusters 2>/dev/null | grep -qx '{name}'; then "
        f"kind create cluster --name '{name}' --image \"$KIND_NODE_IMAGE\" --config \"$cfg\" "
        f"--kubeconfig \"$kc\" --wait {kind.wait_seconds}s >&2; fi; "
        f"kind get kubeconfig --name '{name}'"
    )
    cluster = local.Command(
        f"kind-{name}",
        create=create,
        delete=f"kind delete cluster --name '{name}'",
        environment={
            "KIND_CONFIG": yaml.safe_dump(kind.kind_config, sort_keys=True),
            "KIND_NODE_IMAGE": kind.node_image,
        },
        # Stdout is the kubeconfig: keep it out of the logs.
        logging=local.Logging.STDERR,
        opts=pulumi.ResourceOptions(
            parent=parent,
            additional_secret_outputs=["stdout"],
            # A new node image or kind config means a new cluster of the same name.
            replace_on_changes=["environment", "create"],
            delete_before_replace=True,
        ),
    )
    return ClusterAccess(kubeconfig=pulumi.Output.secret(cluster.stdout), ready=[cluster], owner=cluster)


def build_kwok_cluster(cfg: StackConfig, parent: pulumi.Resource) -> ClusterAccess:
    """`kwokctl create cluster --runtime binary` / `kwokctl delete cluster`: no Docker at all."""
    cluster = cfg.hosts.kwok_cluster
    assert cluster is not None  # the hosts rules require hosts.kwokCluster for kwok
    command = local.Command(
        f"kwok-{cluster.name}",
        create=kwokctl.create_command(cluster, cfg.kubernetes.version),
        delete=kwokctl.delete_command(cluster),
        # Stdout is the kubeconfig: keep it out of the logs.
        logging=local.Logging.STDERR,
        opts=pulumi.ResourceOptions(
            parent=parent,
            additional_secret_outputs=["stdout"],
            # Other binaries, ports or versions mean a new cluster of the same name.
            replace_on_changes=["create"],
            delete_before_replace=True,
        ),
    )
    return ClusterAccess(kubeconfig=pulumi.Output.secret(command.stdout), ready=[command], owner=command)


class Emulation(pulumi.ComponentResource):
    """KWOK's controller and stages, and one bulk-applied Command per node group."""

    def __init__(self, name: str, cfg: StackConfig, provider: k8s.Provider,
                 kubeconfig: pulumi.Output[str], depends_on: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions, deleted_with: pulumi.Resource | None = None):
        super().__init__("clusterforge:emulation:Emulation", name, None, opts)
        emu = cfg.emulation
        assert emu is not None
        self.deleted_with = deleted_with
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on,
                                          deleted_with=deleted_with)

        if cfg.hosts.kind == "kwok":
            # kwokctl runs the KWOK controller as a process and installs the Stage CRD.
            controller: list[pulumi.Resource] = []
            stage_opts = k8s_opts
        else:
            crd = k8s.yaml.v2.ConfigFile(
                "kwok-stage-crd", file=kwok.stage_crd_url(emu.kwok.version), opts=k8s_opts)
            controller = [declare(obj, k8s_opts) for obj in kwok.controller_objects(emu.kwok)]
            stage_opts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[crd]))
        self.stages = [declare(obj, stage_opts) for obj in stages.all_stages(_pod_mode(cfg))]

        # Nodes appear after KWOK runs, so it initialises them as soon as they exist.
        node_deps = [*depends_on, *controller, *self.stages]
        env = pulumi.Output.secret(kubeconfig).apply(lambda text: {KUBECONFIG_ENV: text})
        self.node_groups: dict[str, local.Command] = {}
        for spec in emulation_specs(emu, cfg.kubernetes.version):
            group = spec["group"]
            self.node_groups[group] = local.Command(
                f"nodes-{group}",
                create=APPLY_COMMAND,
                update=APPLY_COMMAND,
                delete=f"{APPLY_COMMAND} --delete {group}",
                stdin=json.dumps(spec, sort_keys=True, separators=(",", ":")),
                environment=env,
                add_previous_output_in_env=True,
                logging=local.Logging.STDOUT_AND_STDERR,
                opts=pulumi.ResourceOptions(parent=self, depends_on=node_deps, deleted_with=deleted_with),
            )
        self.register_outputs({"nodeGroups": sorted(self.node_groups)})

    def declare_dashboard(self, cfg: StackConfig, provider: k8s.Provider,
                          depends_on: list[pulumi.Resource]) -> None:
        """The emulated-capacity dashboard, once the Prometheus addon's namespace exists."""
        namespace = prometheus_namespace(cfg)
        if namespace is not None:
            declare(dashboard_configmap(namespace),
                    pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on,
                                           deleted_with=self.deleted_with))


def build_emulation(cfg: StackConfig, provider: k8s.Provider, kubeconfig: pulumi.Output[str],
                    depends_on: list[pulumi.Resource], parent: pulumi.Resource,
                    deleted_with: pulumi.Resource | None = None) -> Emulation:
    return Emulation("emulation", cfg, provider, kubeconfig, depends_on,
                     pulumi.ResourceOptions(parent=parent), deleted_with)


def prometheus_namespace(cfg: StackConfig) -> str | None:
    """Where the Prometheus addon's Grafana looks for dashboards; None when it is off."""
    prometheus = getattr(cfg.addons, "prometheus", None)
    if prometheus is None or not getattr(prometheus, "enabled", False):
        return None
    return getattr(prometheus, "namespace", None) or "monitoring"


def _pod_mode(cfg: StackConfig) -> str:
    emu = cfg.emulation
    assert emu is not None
    return stages.pod_stage_mode(emu.kwok.pod_stages, emu.workloads, PROJECT_ROOT)
