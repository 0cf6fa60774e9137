"""On kind and kwok stacks everything inside the cluster goes with the cluster (mock runtime).

`pulumi destroy` then runs the cluster's delete alone: deleting thousands of emulated nodes,
releases and namespaces one by one first is work the cluster's own deletion makes moot. A
kubeadm stack's objects are not tied to anything: its reset and machines follow them.
"""
from __future__ import annotations

from clusterforge.mockrun import run_stack


def _inside(rec):
    return [r for r in rec.resources if r.custom and not r.type.startswith("pulumi:providers:")
            and (r.type.startswith("kubernetes:") or r.name.startswith("nodes-"))]


def test_every_object_of_a_kwok_stack_is_deleted_with_its_cluster():
    rec = run_stack("emulated-kwok")
    [cluster] = [r for r in rec.resources if r.type == "command:local:Command" and r.name.startswith("kwok-")]
    inside = _inside(rec)
    assert len(inside) > 10
    assert {r.name: r.options.get("deletedWith") for r in inside} == {r.name: cluster.urn for r in inside}
    assert "deletedWith" not in cluster.options


def test_a_kind_stack_likewise():
    rec = run_stack("emulated")
    [cluster] = [r for r in rec.resources if r.type == "command:local:Command" and r.name.startswith("kind-")]
    assert {r.options.get("deletedWith") for r in _inside(rec)} == {cluster.urn}


def test_a_kubeadm_stack_deletes_its_objects_itself():
    rec = run_stack("onprem")
    assert not [r.name for r in rec.resources if "deletedWith" in r.options]
