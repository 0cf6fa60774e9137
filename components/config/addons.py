"""The `addons` section (placeholder until the addons work lands; its owner replaces this file)."""
from __future__ import annotations

from .base import StrictModel


class AddonsConfig(StrictModel):
    pass
