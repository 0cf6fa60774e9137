"""`clusterforge policy`: the policy pack over a stack's mock-runtime resources, offline.

The same rules `pulumi preview --policy-pack policy` runs, fed from the mock-runtime
recording instead of the engine. The pack stays self-contained in policy/ (so it can be
published on its own); its pure rules are imported from there.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clusterforge import PROJECT_ROOT
from components.config.input_files import MAX_BYTES, read_json_file

POLICY_DIR = PROJECT_ROOT / "policy"
if str(POLICY_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_DIR))

from clusterforge_policy.catalog import PolicyConfigError, Result, resolve, run_all  # noqa: E402
from clusterforge_policy.model import Resource, StackFacts  # noqa: E402

__all__ = ["PolicyConfigError", "Result", "resolve", "resources_from_plan", "check_stack", "load_config",
           "as_text", "as_markdown"]


def resources_from_plan(entries: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """plan.json entries (or recorded registrations) as the policies' resources."""
    return [Resource(urn=e["urn"], type=e["type"], name=e["name"], props=e.get("inputs") or {},
                     parent=e.get("parent") or "", dependencies=tuple(e.get("dependencies") or ()),
                     secret_outputs=tuple((e.get("options") or {}).get("additionalSecretOutputs") or ()))
            for e in entries]


def check_stack(stack: str, pack_config: Mapping[str, Any] | None = None) -> list[Result]:
    """Evaluate `stack` under the mock runtime and run every enabled policy over it."""
    from clusterforge.mockrun import run_stack

    recording = run_stack(stack)
    entries = [{"urn": r.urn, "type": r.type, "name": r.name, "inputs": r.inputs, "parent": r.parent,
                "dependencies": r.dependencies, "options": r.options} for r in recording.resources]
    hosts = recording.config.values.get("clusterforge:hosts") or {}
    facts = StackFacts(name=stack, hosts_kind=hosts.get("kind") if isinstance(hosts, dict) else None,
                       secrets_visible=True)
    return run_all(resources_from_plan(entries), facts, pack_config)


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        config = read_json_file(Path(path), MAX_BYTES)
    except (OSError, ValueError) as err:
        raise PolicyConfigError(f"--config {path}: {err}") from None
    if not isinstance(config, dict):
        raise PolicyConfigError(f"--config {path}: give a JSON object of policy names")
    resolve(config)  # reject unknown names and levels before any stack is evaluated
    return config


def blocking(results: Iterable[Result]) -> bool:
    return any(r.findings and r.level in ("mandatory", "remediate") for r in results)


def as_text(stack: str, results: list[Result]) -> str:
    failed = [r for r in results if r.findings]
    lines = [f"stack {stack}: {len(results)} policies, "
             + (f"{len(failed)} with findings" if failed else "all pass")]
    for r in failed:
        lines += [f"  [{r.level}] {r.policy}: {f.message}" + (f"\n      {f.urn}" if f.urn else "")
                  for f in r.findings]
    return "\n".join(lines) + "\n"


def as_markdown(by_stack: Mapping[str, list[Result]]) -> str:
    """One line per stack, findings listed under the stacks that have any."""
    lines = ["#### Policy pack"]
    for stack, results in sorted(by_stack.items()):
        failed = [r for r in results if r.findings]
        if not failed:
            lines.append(f"- **{stack}**: {len(results)} policies pass")
            continue
        lines.append(f"- **{stack}**: {len(failed)} of {len(results)} policies have findings")
        lines += [f"  - `{r.policy}` ({r.level}): {f.message}" for r in failed for f in r.findings]
    return "\n".join(lines) + "\n"
