"""The `provisioning` section (placeholder until the provisioning work lands; its owner replaces this file)."""
from __future__ import annotations

from .base import StrictModel


class ProvisioningConfig(StrictModel):
    pass
