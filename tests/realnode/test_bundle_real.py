"""`clusterforge artifacts --bundle` with the artifacts really built here: a stack at the pinned
release with containerd pinned gets every node binary and all of kubeadm's images, each
byte-identical to what scripts/toolchain.sh built; what is not built here is listed as missing."""
from __future__ import annotations

import hashlib
import json

from clusterforge.artifacts import Sources, toolchain_cache, write_bundle
from clusterforge.stackfile import read_stack
from components.plan.artifacts import stack_artifacts
from components.plan.load import load_stack_config
from tests.needs import missing
from tests.realnode.cluster import image_files, tool_dir

NEEDED = ("kube-node", "node-images", "containerd", "runc", "cni-plugins")


def test_a_bundle_holds_what_the_toolchain_built(tmp_path):
    for tool in NEEDED:
        if not (tool_dir(tool) / ".built").is_file():
            missing(f"node artifact {tool} not built: scripts/toolchain.sh {' '.join(NEEDED)}")
    containerd = (tool_dir("containerd") / ".built").read_text().split()[1].lstrip("v")
    values = {k.split(":", 1)[1]: v for k, v in read_stack("onprem").values.items() if k.startswith("clusterforge:")}
    cfg = load_stack_config({**values, "provisioning": {"containerdVersion": containerd}})
    release = (tool_dir("kube-node") / ".built").read_text().split()[1]
    assert cfg.kubernetes.version == release.lstrip("v")  # the stacks run the pinned release
    manifest = write_bundle("onprem", cfg, stack_artifacts(cfg), tmp_path / "bundle", Sources(toolchain_cache(), []))
    entries = {(e["kind"], e["name"]): e for e in manifest["artifacts"]}
    built = {**{b: tool_dir("kube-node") / b for b in ("kubelet", "kubeadm", "kubectl")},
             **{b: tool_dir("containerd") / b for b in ("containerd", "ctr", "containerd-shim-runc-v2")},
             "runc": tool_dir("runc") / "runc",
             **{b: tool_dir("cni-plugins") / b for b in ("bridge", "host-local", "loopback", "portmap")}}
    for name, path in built.items():
        entry = entries[("binary", name)]
        assert entry["status"] == "included", entry
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    images = image_files(tool_dir("node-images"))
    kubeadm_images = [e for e in manifest["artifacts"] if e["kind"] == "image" and e["neededBy"] == "kubeadm"]
    assert {f"{e['name']}:{e['version']}" for e in kubeadm_images} == set(images)
    for e in kubeadm_images:
        assert e["status"] == "included"
        assert (tmp_path / "bundle" / e["path"]).read_bytes() == \
            (tool_dir("node-images") / images[f"{e['name']}:{e['version']}"]).read_bytes()
    # Not made here: packages, the charts (no --charts given) and the CRD manifest, each with its source.
    for e in manifest["artifacts"]:
        if e["kind"] in ("package", "chart", "manifest"):
            assert e["status"] == "missing" and e["reason"], e
    assert json.loads((tmp_path / "bundle" / "manifest.json").read_text()) == manifest
