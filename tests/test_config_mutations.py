"""Random mutations of the shipped stacks never make the loader (or the plan it feeds)
raise anything but a ConfigError: every mistake is a finding, never a traceback."""
from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterforge.stackfile import read_stack, stack_names
from components.config import ConfigError
from components.plan.load import load_stack

STACKS = {name: read_stack(name) for name in stack_names()}

# Values users get wrong in practice, and values of the wrong type.
ODD_VALUES = st.one_of(
    st.sampled_from([None, "", " ", 0, -1, 1, 2, 3, 65536, 10**12, -(10**12), 1.5, True, False, [], {}, [None],
                     {"": None}, "x" * 300, "latest", "^1.2", "1.2.3", "v9.9.9", "0.0.0.0/0", "10.0.0.0/8",
                     "10.244.0.0/16", "192.168.10.0", "192.168.10.255", "255.255.255.255", "::1", "a/b/c",
                     "UPPER", "-leading", "trailing-", "has space", "a..b", "http://x", "https://", "oci://",
                     "ftp://host/file", "https://user:pw@host/x", "kind", "aws", "proxmox", "existing",
                     "control-plane", "worker", "etcd", "NoSchedule", "1Gi", "-1Gi", "1e999", "nan", "15d",
                     "ssh-ed25519 AAAA", "-----BEGIN OPENSSH PRIVATE KEY-----", "[secret]",
                     {"secure": "v1:abc"}, ["a", "a"], [{"key": "a", "effect": "NoSchedule"}] * 2]),
    st.text(max_size=20),
    st.integers(min_value=-5, max_value=70000),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _mutate(values: dict, draw) -> dict:
    values = copy.deepcopy(values)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(sorted(_paths(values)[1:], key=repr)))
        parent = values
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "copy"]))
        last = path[-1]
        if action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(["extra", "labels", "count", "vmId", "aws:region"]))] = copy.deepcopy(draw(ODD_VALUES))
        elif action == "add" and isinstance(parent[last], list):
            parent[last].append(copy.deepcopy(parent[last][0]) if parent[last] else copy.deepcopy(draw(ODD_VALUES)))
        elif action == "copy":  # a value from elsewhere in the same stack: right type, wrong place
            source = draw(st.sampled_from(sorted(_paths(values)[1:], key=repr)))
            node: Any = values
            for part in source:
                node = node[part]
            parent[last] = copy.deepcopy(node)
        else:
            parent[last] = copy.deepcopy(draw(ODD_VALUES))
    return values


def _plan_everything(cfg) -> None:
    """The pure plan a valid config feeds, for every host kind (as the program computes it)."""
    from components.plan.addons.catalog import addon_graph, crd_sources
    from components.plan.emulation.objects import declared_objects
    from components.plan.hosts.expand import expand_hosts, host_specs
    from components.plan.provisioning.phases import phase_inputs

    addon_graph(cfg)
    crd_sources(cfg)
    declared_objects(cfg) if cfg.emulation is None or cfg.emulation.total_nodes < 2000 else None
    plans = expand_hosts(cfg)
    if cfg.uses_kubeadm:
        phase_inputs(cfg, host_specs(cfg))
    if cfg.hosts.kind == "aws":
        from components.plan.hosts import aws_spec

        aws_spec.key_pair_args(cfg), aws_spec.security_group_args(cfg)
        if cfg.hosts.aws.subnet_id is None:
            aws_spec.vpc_args(cfg), aws_spec.subnet_args(cfg)
        for plan in plans:
            aws_spec.instance_args(cfg, plan)
    if cfg.hosts.kind == "proxmox":
        from components.plan.hosts import proxmox_spec

        for node in proxmox_spec.template_nodes(cfg, plans):
            proxmox_spec.image_args(cfg, node), proxmox_spec.template_args(cfg, node)
        for plan in plans:
            proxmox_spec.clone_args(cfg, plan)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(STACKS)), st.data())
def test_mutated_stacks_give_findings_or_a_config(stack, data):
    original = STACKS[stack]
    values = _mutate(original.values, data.draw)
    secret_keys = {k for k in original.secret_keys if k in values}
    try:
        cfg = load_stack(values, secret_keys)
    except ConfigError as err:
        assert err.findings, "a ConfigError always carries its findings"
        for finding in err.findings:
            assert str(finding).startswith(f"{finding.key}: ")
        return
    _plan_everything(cfg)
