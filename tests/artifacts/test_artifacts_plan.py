"""Layer 2: what `clusterforge artifacts` lists, computed from the plan (pure)."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterforge.stackfile import read_stack, stack_names
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION
from components.plan.addons.catalog import all_addons
from components.plan.artifacts import stack_artifacts
from components.plan.artifacts.charts import image_artifact, image_refs
from components.plan.artifacts.kubeadm_images import KUBEADM_DEFAULTS, kubeadm_images
from components.plan.artifacts.node import CNI_PLUGINS_VERSION, RUNC_VERSION, role_defaults
from components.plan.load import load_stack_config

ROOT = Path(__file__).resolve().parents[2]
MIRROR = {"apt": {"uri": "http://10.213.1.1:8080/", "trusted": True}, "imageRepository": "10.213.1.1:5000/k8s"}


def _config(stack: str, **sections):
    values = {k.split(":", 1)[1]: v for k, v in read_stack(stack).values.items() if k.startswith("clusterforge:")}
    return load_stack_config({**values, **sections})


def _pins() -> dict[str, str]:
    text = (ROOT / "toolchain" / "versions.env").read_text()
    return dict(re.findall(r"^([A-Z_]+)=\"?([^\"\n]*)\"?$", text, re.M))


@pytest.mark.parametrize("stack", stack_names())
def test_every_enabled_chart_is_listed_at_its_pinned_version(stack):
    cfg = _config(stack)
    charts = {(a.name, a.version, a.source) for a in stack_artifacts(cfg) if a.kind == "chart"}
    assert charts == {(s.chart, s.version, s.repository) for s in all_addons(cfg).values()}


@pytest.mark.parametrize("stack", stack_names())
def test_each_artifact_once_and_kubeadm_stacks_carry_their_release(stack):
    cfg = _config(stack)
    artifacts = stack_artifacts(cfg)
    keys = [(a.kind, a.name, a.version, a.pulled_as) for a in artifacts]
    assert len(keys) == len(set(keys))
    version = cfg.kubernetes.version.lstrip("v")
    packages = {a.name: a.version for a in artifacts if a.kind == "package"}
    if cfg.uses_kubeadm:
        kube = role_defaults("node_packages")["node_packages_kube"]
        assert {packages[p] for p in kube} == {version}
        assert f"registry.k8s.io/kube-apiserver:v{version}" in {a.reference for a in artifacts}
    else:
        assert not packages  # kind and kwokctl bring their own control plane


def test_kube_vip_image_only_with_kube_vip():
    homelab = {a.reference for a in stack_artifacts(_config("homelab"))}
    onprem = {a.reference for a in stack_artifacts(_config("onprem"))}
    assert "ghcr.io/kube-vip/kube-vip:v1.0.1" in homelab
    assert not any("kube-vip" in r for r in onprem)


def test_air_gapped_packages_come_from_the_mirror_and_images_are_pulled_through_it():
    cfg = _config("onprem", provisioning={"airGapped": MIRROR})
    artifacts = stack_artifacts(cfg)
    assert {a.source for a in artifacts if a.kind == "package"} == {MIRROR["apt"]["uri"]}
    pulled = {a.name: a.pulled_as for a in artifacts if a.needed_by == "kubeadm"}
    assert pulled["registry.k8s.io/coredns/coredns"] == "10.213.1.1:5000/k8s/coredns:v1.14.2"
    assert pulled["registry.k8s.io/kube-apiserver"] == f"10.213.1.1:5000/k8s/kube-apiserver:v{DEFAULT_KUBERNETES_VERSION}"


def test_an_unpinned_containerd_is_listed_as_such_and_a_pinned_one_exactly():
    unpinned = [a for a in stack_artifacts(_config("onprem")) if a.name == "containerd.io"]
    assert unpinned[0].version is None and "containerdVersion" in unpinned[0].note
    cfg = _config("onprem", provisioning={"containerdVersion": "2.2.10"})
    binaries = {a.name: a.version for a in stack_artifacts(cfg) if a.kind == "binary"}
    assert binaries["containerd"] == binaries["ctr"] == "v2.2.10"


def test_gpu_packages_only_where_a_host_has_gpus():
    assert "nvidia-open" in {a.name for a in stack_artifacts(_config("onprem"))}
    assert "nvidia-open" not in {a.name for a in stack_artifacts(_config("homelab"))}


def test_the_plan_agrees_with_the_toolchain_pins():
    pins = _pins()
    assert RUNC_VERSION == pins["RUNC_VERSION"] and CNI_PLUGINS_VERSION == pins["CNI_PLUGINS_VERSION"]
    for release in (pins["KUBERNETES_VERSION"], pins["KUBERNETES_PREVIOUS_VERSION"]):
        etcd, coredns, pause = KUBEADM_DEFAULTS[release.lstrip("v")]
        assert etcd.startswith(pins["KUBEADM_ETCD_VERSION"].lstrip("v") + "-")
        assert (coredns, pause) == (pins["COREDNS_VERSION"], pins["PAUSE_VERSION"])


@given(st.tuples(st.integers(1, 9), st.integers(0, 60), st.integers(0, 30)))
def test_a_release_not_in_the_table_is_not_guessed(release):
    version = "{}.{}.{}".format(*release)
    images = kubeadm_images(version, "mirror.example:5000/k8s")
    assert [a.version for a in images[:4]] == [f"v{version}"] * 4
    if version not in KUBEADM_DEFAULTS:
        assert all(a.version is None and a.pulled_as is None and "config images list" in a.note for a in images[4:])


_component = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)


@given(st.sampled_from(["", "registry.example.com/", "localhost:5000/", "10.0.0.1:5000/"]),
       st.lists(_component, min_size=1, max_size=3),
       st.one_of(st.none(), st.from_regex(r"\Av?[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,2})?\Z")))
def test_an_image_named_in_values_is_listed_with_its_tag(registry, path, tag):
    name = registry + "/".join(path)
    ref = f"{name}:{tag}" if tag else name
    values = {"a": [{"image": ref}], "b": {"image": {"repository": "/".join(path), "tag": tag}}}
    assert image_refs(values)[0] == ref
    artifact = image_artifact(ref, "addon x")
    assert (artifact.name, artifact.version) == (name, tag)
    assert artifact.source == (registry.rstrip("/") or "docker.io")
    assert artifact.pinned == (tag is not None)
