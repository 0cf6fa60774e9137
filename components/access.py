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
    # The resource whose deletion takes the whole cluster with it (kind's and kwokctl's
    # cluster commands): everything inside is `deleted_with` it, so a destroy removes the
    # cluster at once instead of deleting its objects one by one first.
    owner: pulumi.Resource | None = None
