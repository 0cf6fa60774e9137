"""One pinned Kubernetes version (issue 24): every shipped stack, `import-kemu`'s default, the
kind node image, the toolchain's control plane and every version the docs show agree."""
from __future__ import annotations

import re
from pathlib import Path

from clusterforge.kemu_import import DEFAULT_KUBERNETES_VERSION as KEMU_DEFAULT
from clusterforge.stackfile import read_stack, stack_names
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION

ROOT = Path(__file__).resolve().parents[2]
# A Kubernetes release the config accepts (1.31 on) as docs write it: 1.36.4 or v1.36.4.
RELEASE = re.compile(r"(?<![\w.])v?1\.3\d\.\d+(?![\w.])")
# Sample output printed by tests/diff/test_readme_samples.py: it shows an edit (a patch release).
SAMPLE = re.compile(r"<!-- sample [\w-]+ -->.*?<!-- end sample -->", re.S)


def test_every_stack_runs_the_pinned_version():
    versions = {s: str(read_stack(s).values["clusterforge:kubernetes"]["version"]) for s in stack_names()}
    assert set(versions.values()) == {DEFAULT_KUBERNETES_VERSION}, versions
    kind = read_stack("emulated").values["clusterforge:hosts"]["kindCluster"]["nodeImage"]
    assert kind.split("@")[0] == f"kindest/node:v{DEFAULT_KUBERNETES_VERSION}"


def test_import_kemu_and_the_toolchain_use_it():
    assert KEMU_DEFAULT == DEFAULT_KUBERNETES_VERSION
    pins = dict(line.split("=", 1) for line in (ROOT / "toolchain/versions.env").read_text().splitlines()
                if "=" in line and not line.startswith("#"))
    assert pins["KUBERNETES_VERSION"] == f"v{DEFAULT_KUBERNETES_VERSION}"


def test_the_docs_show_no_other_kubernetes_release():
    for doc in ("README.md", "toolchain/README.md", "Pulumi.yaml"):
        text = SAMPLE.sub("", (ROOT / doc).read_text())
        # Chart, Istio, Dex ... versions are named with their project; a Kubernetes release
        # is the pinned one (or, in the toolchain's notes, its staging modules' v0.x twin).
        others = {m.group(0).lstrip("v") for m in RELEASE.finditer(text)} - {DEFAULT_KUBERNETES_VERSION}
        assert not others, f"{doc} shows Kubernetes {sorted(others)}; the pin is {DEFAULT_KUBERNETES_VERSION}"
