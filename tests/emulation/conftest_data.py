"""The emulated stack's own `clusterforge:emulation` section, read from its stack file."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def emulated_section() -> dict:
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.emulated.yaml").read_text())
    return doc["config"]["clusterforge:emulation"]
