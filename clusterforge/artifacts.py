"""`clusterforge artifacts STACK`: every package, binary, image and chart a stack needs at its
versions, and `--bundle DIR`: those an air-gapped site loads into its mirror.

The list is the plan's (components/plan/artifacts). A bundle copies in what this machine
has built (scripts/toolchain.sh: the node binaries and kubeadm's images) and chart packages
from the stack's chart source or `--charts`; everything else is listed in manifest.json as
missing, with where a connected machine gets it. Nothing is faked.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from clusterforge.render_out import fresh_out_dir
from clusterforge.stackfile import PROJECT_ROOT, prepare_offline, read_stack
from components.plan.artifacts import KINDS, Artifact, stack_artifacts

BUNDLE_MARKER = ".clusterforge-bundle"
# Toolchain tools whose cache dirs hold node binaries (scripts/toolchain-node.sh).
_BINARY_TOOLS = ("kube-node", "kube-node-previous", "containerd", "runc", "cni-plugins")


def toolchain_cache() -> Path:
    """Where scripts/toolchain.sh builds (the same rule as the script)."""
    if os.environ.get("CLUSTERFORGE_TOOLCHAIN_DIR"):
        return Path(os.environ["CLUSTERFORGE_TOOLCHAIN_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "clusterforge" / "toolchain"


@dataclass(frozen=True)
class Located:
    path: Path | None
    reason: str = ""  # why it is missing


class Sources:
    """What this machine has: the toolchain's finished builds and chart package directories."""

    def __init__(self, cache: Path, chart_dirs: list[Path]):
        self.binaries: dict[tuple[str, str], Path] = {}
        self.images: dict[str, Path] = {}
        for stamp in sorted(cache.glob("*/.built")) if cache.is_dir() else []:
            fields = stamp.read_text().split()
            if len(fields) < 2:
                continue
            tool, version = fields[0], fields[1]
            if tool in _BINARY_TOOLS:
                for binary in stamp.parent.iterdir():
                    if binary.is_file() and os.access(binary, os.X_OK):
                        self.binaries.setdefault((binary.name, version), binary)
            index = stamp.parent / "images.tsv"
            if index.is_file():
                for line in index.read_text().splitlines():
                    ref, file, *_ = line.split("\t")
                    self.images.setdefault(ref, stamp.parent / file)
        self.chart_dirs = chart_dirs

    def locate(self, a: Artifact) -> Located:
        if not a.pinned:
            return Located(None, "not pinned by the stack, so no exact file can be chosen: pin it")
        if a.kind == "binary":
            path = self.binaries.get((a.name, a.version))
            return Located(path) if path else Located(None, f"{a.name} {a.version} is not built here: "
                                                            "scripts/toolchain.sh builds the releases "
                                                            "toolchain/versions.env pins")
        if a.kind == "image":
            path = self.images.get(a.reference)
            return Located(path) if path else Located(None, f"not built here: copy it from {a.source} "
                                                            "(e.g. crane pull) on a connected machine")
        if a.kind == "chart":
            for d in self.chart_dirs:
                if (d / f"{a.name}-{a.version}.tgz").is_file():
                    return Located(d / f"{a.name}-{a.version}.tgz")
            return Located(None, f"no {a.name}-{a.version}.tgz here: `helm pull` it from {a.source} "
                                 "(or give --charts DIR)")
        if a.kind == "package":
            return Located(None, f"no .deb is made here yet: take it from {a.source}")
        return Located(None, f"download {a.name}")


def load_artifacts(stack: str) -> tuple[object, list[Artifact]]:
    cfg, _ = prepare_offline(read_stack(stack))
    return cfg, stack_artifacts(cfg)


_PLURAL = {"binary": "binaries"}


def as_text(stack: str, cfg, artifacts: list[Artifact]) -> str:
    unpinned = [a for a in artifacts if not a.pinned]
    lines = [f"artifacts {stack}: {len(artifacts)} for kubernetes {cfg.kubernetes.version}"
             + (f", {len(unpinned)} not pinned by the stack" if unpinned else "")]
    for kind in KINDS:
        of_kind = [a for a in artifacts if a.kind == kind]
        if not of_kind:
            continue
        lines.append(f"{_PLURAL.get(kind, kind + 's')}:")
        for a in of_kind:
            line = f"  {a.reference}  [{a.needed_by}]  from {a.source}"
            if a.pulled_as:
                line += f"  pulled as {a.pulled_as}"
            lines.append(line + (f"  ({a.note})" if a.note else ""))
    return "\n".join(lines) + "\n"


def as_json(stack: str, cfg, artifacts: list[Artifact]) -> str:
    return json.dumps({"stack": stack, "kubernetesVersion": cfg.kubernetes.version,
                       "artifacts": [a.as_dict() for a in artifacts]}, indent=2) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SUBDIR = {"binary": "binaries", "image": "images", "chart": "charts"}


def write_bundle(stack: str, cfg, artifacts: list[Artifact], out: Path, sources: Sources) -> dict:
    """Copy in what is here, list the rest; returns the manifest (also written as manifest.json)."""
    fresh_out_dir(out, stack, BUNDLE_MARKER, "artifacts --bundle")
    entries = []
    for a in artifacts:
        entry = a.as_dict()
        found = sources.locate(a)
        if found.path is None:
            entry.update(status="missing", reason=found.reason)
        else:
            rel = Path(_SUBDIR[a.kind]) / found.path.name
            (out / rel).parent.mkdir(exist_ok=True)
            if not (out / rel).exists():  # one file serves every artifact that names it
                shutil.copyfile(found.path, out / rel)
                if a.kind == "binary":
                    (out / rel).chmod(0o755)
            entry.update(status="included", path=str(rel), sha256=_sha256(out / rel))
        entries.append(entry)
    manifest = {"stack": stack, "kubernetesVersion": cfg.kubernetes.version,
                "included": sum(e["status"] == "included" for e in entries),
                "missing": sum(e["status"] == "missing" for e in entries), "artifacts": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def chart_dirs(cfg, extra: list[Path]) -> list[Path]:
    source = cfg.addons.chart_source
    dirs = list(extra)
    if source is not None and source.directory is not None:
        directory = Path(source.directory)
        dirs.append(directory if directory.is_absolute() else PROJECT_ROOT / directory)
    return dirs
