"""Upstream CRD schemas for `check`, cached per set of pinned versions.

The addon catalog names the upstream file holding each addon's CRDs for the version the
stack pins, and KWOK's release manifest holds the Stage CRD. Without
`--crd-schemas DIR`, `check` reads them from a cache under ~/.cache/clusterforge/crds,
filling it from those URLs when online. Offline with an empty cache it says which
files are missing and how to point at a local directory instead.
"""
from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from components.config.model import StackConfig
from components.plan.addons.catalog import crd_sources as addon_crd_sources


class CrdSourceError(Exception):
    pass


def crd_sources(cfg: StackConfig) -> list[tuple[str, str]]:
    """(cache file name, upstream URL) of the CRDs for every version the stack pins."""
    sources: list[tuple[str, str]] = []
    if cfg.emulation is not None:
        v = cfg.emulation.kwok.version
        # The release manifest carries the Stage CRD with the controller.
        sources.append((f"kwok-{v}.yaml",
                        f"https://github.com/kubernetes-sigs/kwok/releases/download/{v}/kwok.yaml"))
    return sorted({*sources, *addon_crd_sources(cfg)})


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterforge" / "crds"


def cached_crd_dir(cfg: StackConfig, timeout: float = 20.0) -> Path:
    sources = crd_sources(cfg)
    key = hashlib.sha256("\n".join(f"{n} {u}" for n, u in sources).encode()).hexdigest()[:16]
    directory = cache_root() / key
    directory.mkdir(parents=True, exist_ok=True)
    missing = [(name, url) for name, url in sources if not (directory / name).is_file()]
    if missing:  # said before it starts: this needs the network
        print(f"check: fetching {len(missing)} upstream CRD file(s) into {directory} (needs the network; "
              "--crd-schemas DIR works offline)", file=sys.stderr, flush=True)
    failures = []
    for name, url in missing:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (pinned https URLs)
                data = response.read()
        except (urllib.error.URLError, OSError) as exc:
            failures.append(f"{url} ({getattr(exc, 'reason', exc)})")
            continue
        tmp = directory / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(directory / name)
    if failures:
        raise CrdSourceError(
            f"could not fetch {len(failures)} CRD file(s) into {directory}: {'; '.join(failures)}. "
            "Pass --crd-schemas DIR with the upstream CRDs (e.g. ../shared/schemas/crds) when offline")
    return directory
