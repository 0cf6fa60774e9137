"""The kwokctl commands of the `kwok` host kind (pure: strings from config).

The create command is idempotent: a re-run after a failed `pulumi up` finds the
cluster and goes on. Its stdout is the admin kubeconfig and nothing else; kwokctl's
own output goes to stderr.
"""
from __future__ import annotations

import shlex

from components.config.kwok_cluster import BINARY_FLAGS, KwokClusterConfig


def create_flags(cluster: KwokClusterConfig) -> list[str]:
    """`kwokctl create cluster` flags: processes, no containers; Stage objects drive KWOK."""
    flags = [
        "--name", cluster.name,
        "--runtime", "binary",
        "--kube-apiserver-port", str(cluster.apiserver_port),
        # The program declares the node and pod lifecycles as Stage objects; kwokctl
        # installs the Stage CRD and its controller then plays those, not built-in ones.
        "--enable-crds", "Stage",
        "--wait", f"{cluster.wait_seconds}s",
    ]
    for field, flag in BINARY_FLAGS:
        path = getattr(cluster.binaries, field)
        if path is not None:
            flags += [flag, path]
    return flags


def create_command(cluster: KwokClusterConfig, kube_version: str) -> str:
    kwokctl = shlex.quote(cluster.kwokctl)
    name = shlex.quote(cluster.name)
    create = " ".join(shlex.quote(f) for f in create_flags(cluster))
    # kwokctl takes the Kubernetes version from the environment; it picks the release of
    # every binary not given as a local path.
    version = shlex.quote(kube_version if kube_version.startswith("v") else f"v{kube_version}")
    return (
        "set -eu; "
        f"if ! {kwokctl} get clusters 2>/dev/null | grep -qx {name}; then "
        f"KWOK_KUBE_VERSION={version} {kwokctl} create cluster {create} >&2; fi; "
        f"{kwokctl} get kubeconfig --name {name}"
    )


def delete_command(cluster: KwokClusterConfig) -> str:
    return f"{shlex.quote(cluster.kwokctl)} delete cluster --name {shlex.quote(cluster.name)}"
