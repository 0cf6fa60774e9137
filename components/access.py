"""What every way of building a cluster hands to the addons: a kubeconfig and readiness."""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi


@dataclass
class ClusterAccess:
    # The admin kubeconfig, always a secret Output.
    kubeconfig: pulumi.Output[str]
    # Resources after which the API server answers (addons depend on them).
    ready: list[pulumi.Resource] = field(default_factory=list)
