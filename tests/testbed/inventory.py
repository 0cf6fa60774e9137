"""Inventory and provisioning variables that point a playbook at a testbed."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.plan.hosts.spec import HostSpec
from components.plan.provisioning.inventory import build_inventory

from .hosts import Testbed


def testbed_host_specs(bed: Testbed, roles: Mapping[str, str] | None = None) -> list[HostSpec]:
    """HostSpecs for the testbed's hosts; the first is a control plane unless `roles` says otherwise."""
    roles = roles or {}
    return [HostSpec(name=h.name, role=roles.get(h.name, "control-plane" if i == 0 else "worker"),
                     ssh_address=h.address, internal_address=h.address, ssh_user=bed.user)
            for i, h in enumerate(bed.hosts)]


def testbed_vars(bed: Testbed, kubernetes_version: str = "1.36.2") -> dict[str, Any]:
    """Variables the playbooks need on test hosts: the air-gapped path through the local repo,
    and `cf_chroot_test_host`, which skips only what a chroot cannot do (modprobe, live sysctls,
    starting services with systemd)."""
    return {
        "kubernetes_version": kubernetes_version,
        "kubernetes_minor": ".".join(kubernetes_version.split(".")[:2]),
        "cf_chroot_test_host": True,
        "provisioning_air_gapped": {"apt": {"uri": bed.repo.uri, "suite": "./", "components": [],
                                            "signed_by": None, "trusted": True},
                                    "image_repository": None},
        "provisioning_containerd_source": "distro",
        "provisioning_registry_mirrors": {},
        "provisioning_time_servers": [bed.gateway],
    }


def testbed_inventory(bed: Testbed, extra_vars: Mapping[str, Any] | None = None,
                      roles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The project's own inventory shape (build_inventory) for the testbed."""
    return build_inventory(testbed_host_specs(bed, roles), {**testbed_vars(bed), **(extra_vars or {})})


# Helpers, not tests: keep pytest from collecting them where they are imported.
for _helper in (testbed_host_specs, testbed_vars, testbed_inventory):
    _helper.__test__ = False
