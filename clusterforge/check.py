"""`clusterforge check`: the stack's config and every object its render declares."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from clusterforge.crd_cache import CrdSourceError, cached_crd_dir
from clusterforge.ingress_check import render_facts, semantic_findings
from clusterforge.mockrun import DuplicateUrnError
from clusterforge.render import render_stack
from clusterforge.server_check import ServerReport, server_check
from clusterforge.validate import CrdSchemas, ObjectFinding, validate_objects
from components.config import ConfigError


@dataclass
class CheckReport:
    stack: str
    config_findings: list[str] = field(default_factory=list)
    object_findings: list[ObjectFinding] = field(default_factory=list)
    objects_checked: int = 0
    crd_dir: Path | None = None
    server: ServerReport | None = None

    @property
    def ok(self) -> bool:
        return not self.config_findings and not self.object_findings and (self.server is None or self.server.ok)

    def text(self) -> str:
        lines = [f"check {self.stack}:"]
        lines += [f"  config: {f}" for f in self.config_findings]
        lines += [f"  object: {f}" for f in self.object_findings]
        if self.server is not None:
            lines += [f"  server: {f}" for f in self.server.findings]
            lines.append(f"  server: {self.server.admitted} objects admitted by a server-side dry-run"
                         + (f"; CRDs applied first: {', '.join(self.server.crds_applied)}"
                            if self.server.crds_applied else "")
                         + (f"; {len(self.server.unresolved)} left out (values known only after apply)"
                            if self.server.unresolved else ""))
        if self.ok:
            where = f" (CRD schemas from {self.crd_dir})" if self.crd_dir else ""
            lines.append(f"  ok: config valid, {self.objects_checked} objects valid{where}")
        else:
            count = len(self.config_findings) + len(self.object_findings)
            count += len(self.server.findings) if self.server is not None else 0
            lines.append(f"  {count} finding(s)")
        return "\n".join(lines)


def check_stack(stack: str, crd_schemas: Path | None = None, server: Path | None = None,
                overrides: dict | None = None) -> CheckReport:
    """Validate offline; with `server` (a kubeconfig file) also dry-run every object there.
    `overrides`: whole top-level config keys replaced (as render_stack takes them)."""
    report = CheckReport(stack=stack)
    with tempfile.TemporaryDirectory(prefix=f"clusterforge-check-{stack}-") as tmp:
        try:
            result = render_stack(stack, Path(tmp) / stack, **({"overrides": overrides} if overrides else {}))
        except ConfigError as err:
            report.config_findings = [str(f) for f in err.findings]
            return report
        except DuplicateUrnError as err:
            report.config_findings = [str(err)]
            return report
    crd_dir = crd_schemas or (Path(os.environ["CLUSTERFORGE_CRD_SCHEMAS"])
                              if os.environ.get("CLUSTERFORGE_CRD_SCHEMAS") else None)
    if crd_dir is None:
        try:
            crd_dir = cached_crd_dir(result.config)
        except CrdSourceError as err:
            report.config_findings.append(f"CRD schemas unavailable: {err}")
            return report
    report.crd_dir = crd_dir
    crds = CrdSchemas(crd_dir)
    report.objects_checked = len(result.objects)
    report.object_findings = validate_objects(result.objects, result.config.kubernetes.version, crds)
    report.object_findings += semantic_findings(render_facts(result))
    if server is not None:
        report.server = server_check(result.objects, yaml.safe_load(server.read_text()), crd_dir)
    return report
