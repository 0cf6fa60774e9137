"""The plan of a stack, computed once from its validated config and handed to every
component: the components read hosts from here instead of expanding the config again."""
from __future__ import annotations

from dataclasses import dataclass

from components.config.model import StackConfig
from components.plan.hosts.expand import HostPlan, expand_hosts
from components.plan.hosts.spec import HostSpec


@dataclass(frozen=True)
class StackPlan:
    config: StackConfig
    host_plans: tuple[HostPlan, ...]  # every declared machine, retiring ones included

    @property
    def hosts(self) -> list[HostSpec]:
        return [p.spec for p in self.host_plans]


def build_plan(cfg: StackConfig) -> StackPlan:
    return StackPlan(config=cfg, host_plans=tuple(expand_hosts(cfg.hosts)))
