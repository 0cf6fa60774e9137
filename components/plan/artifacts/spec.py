"""One artifact a stack needs: a package, binary, image, chart or manifest, pinned or not."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["package", "binary", "image", "chart", "manifest"]
KINDS: tuple[Kind, ...] = ("package", "binary", "image", "chart", "manifest")


@dataclass(frozen=True)
class Artifact:
    kind: Kind
    # Package, binary or chart name; for an image its repository (registry.k8s.io/pause);
    # for a manifest its URL.
    name: str
    # The exact version (an image's tag); None when the stack does not pin it (the note says
    # what decides it then).
    version: str | None
    # Where a connected site fetches it: an apt repository, registry, chart repository.
    source: str
    # What needs it: kubeadm, containerd, the prepare phase, addon calico, kube-vip, ...
    needed_by: str
    # An image as the nodes pull it when that differs from `name:version` (a mirror).
    pulled_as: str | None = None
    note: str = ""

    @property
    def reference(self) -> str:
        if self.kind == "image":
            return f"{self.name}:{self.version}" if self.version else self.name
        if self.kind == "manifest":
            return self.name
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def pinned(self) -> bool:
        return self.version is not None or self.kind == "manifest"

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "name": self.name, "version": self.version, "source": self.source,
               "neededBy": self.needed_by}
        if self.pulled_as:
            out["pulledAs"] = self.pulled_as
        if self.note:
            out["note"] = self.note
        return out
