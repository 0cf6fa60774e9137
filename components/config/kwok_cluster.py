"""The `kwok` host kind: a whole control plane as local processes, started by kwokctl.

`kwokctl create cluster --runtime binary` runs etcd, kube-apiserver, the controller
manager, the scheduler and the KWOK controller as processes: no Docker, no VMs. Every
node of such a cluster is emulated (the `emulation` section's node groups).

Who consumes each field: `name` kwokctl's `--name` (a DNS label, passed quoted);
`kwokctl` and `binaries.*` the programs kwokctl runs (local paths, or https URLs kwokctl
downloads unverified: trust.py); `apiserverPort` kube-apiserver's secure port on loopback
(1024-65535); `waitSeconds` kwokctl's `--wait`.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from components.config.base import DnsLabel, StrictModel


class KwokBinaries(StrictModel):
    """Local paths of the control-plane binaries; unset ones come from kwokctl's defaults.

    kwokctl's defaults download release binaries; an air-gapped machine gives all five.
    """

    kube_apiserver: str | None = None
    kube_controller_manager: str | None = None
    kube_scheduler: str | None = None
    kwok_controller: str | None = None
    etcd: str | None = None

    @field_validator("*")
    @classmethod
    def _plain_path(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\n" in value or "'" in value):
            raise ValueError(f"{value!r} is not a usable path; give the binary's file path "
                             "(no quotes or newlines)")
        if value is not None and value.startswith("~"):
            # The command quotes every path, so no shell ever expands the ~.
            raise ValueError(f"{value!r} starts with ~, which kwokctl would take literally; "
                             "give the full path (e.g. /home/me/bin/kube-apiserver)")
        return value


# kwokctl's own flag names for each binary, in a stable order.
BINARY_FLAGS = (
    ("kube_apiserver", "--kube-apiserver-binary"),
    ("kube_controller_manager", "--kube-controller-manager-binary"),
    ("kube_scheduler", "--kube-scheduler-binary"),
    ("kwok_controller", "--kwok-controller-binary"),
    ("etcd", "--etcd-binary"),
)


class KwokClusterConfig(StrictModel):
    """`hosts.kwokCluster`: the kwokctl cluster that stands in for machines."""

    # kwokctl's cluster name (its working directory is ~/.kwok/clusters/NAME).
    name: DnsLabel
    # The kwokctl executable; a bare name is looked up on PATH when the command runs.
    kwokctl: str = "kwokctl"
    binaries: KwokBinaries = KwokBinaries()
    # A fixed port keeps the kubeconfig (and so the provider) the same across re-creates.
    apiserver_port: int = Field(32766, ge=1024, le=65535)
    # Seconds `kwokctl create cluster --wait` waits for the control plane.
    wait_seconds: int = Field(120, ge=10, le=3600)

    @field_validator("kwokctl")
    @classmethod
    def _plain_command(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in "'\n "):
            raise ValueError(f"{value!r} is not a command; give kwokctl's name or path (no spaces or quotes)")
        if value.startswith("~"):
            raise ValueError(f"{value!r} starts with ~, which the quoted command would take literally; "
                             "give the full path or a name on PATH")
        return value
