"""What one playbook reads: the files it runs (itself, the roles it includes, transitively)
and which of the stack's variables those files name (pure, from the playbook tree).

A phase's triggers are built from these alone, so editing a role re-runs only the phases
that include it, and a variable no role of a phase reads never re-runs that phase.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from components.plan.provisioning.tree_hash import PLAYBOOKS_DIR

_ROLE_KEYS = ("include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role")
# Read by every play: Ansible's settings and the playbook tree's own group_vars.
_SHARED = ("ansible.cfg", "group_vars")


def _role_names(node: Any) -> set[str]:
    """Role names a parsed playbook, task file or meta file refers to."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _role_names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "roles" and isinstance(value, list):
                found |= {r if isinstance(r, str) else r.get("role") or r.get("name") for r in value}
            elif key == "dependencies" and isinstance(value, list):
                found |= {d if isinstance(d, str) else d.get("role") or d.get("name") for d in value}
            elif key in _ROLE_KEYS and isinstance(value, dict):
                found.add(value["name"])
            else:
                found |= _role_names(value)
    return {name for name in found if name}


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))


@lru_cache(maxsize=None)
def playbook_roles(phase: str, root: Path = PLAYBOOKS_DIR) -> tuple[str, ...]:
    """Every role `playbooks/<phase>.yml` runs, with the roles those include, sorted."""
    pending = _role_names(yaml.safe_load((root / f"{phase}.yml").read_text()))
    seen: set[str] = set()
    while pending:
        role = pending.pop()
        seen.add(role)
        for path in _yaml_files(root / "roles" / role):
            pending |= _role_names(yaml.safe_load(path.read_text())) - seen
    return tuple(sorted(seen))


def phase_files(phase: str, root: Path = PLAYBOOKS_DIR) -> list[Path]:
    """The files a phase's run reads: its playbook, its roles' files, the shared settings."""
    files = [root / f"{phase}.yml"]
    for part in (*_SHARED, *(f"roles/{r}" for r in playbook_roles(phase, root))):
        path = root / part
        files += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return sorted(p for p in files if "__pycache__" not in p.parts and p.suffix != ".pyc")


@lru_cache(maxsize=None)
def phase_hash(phase: str, root: Path = PLAYBOOKS_DIR) -> str:
    """sha256 over the relative path and bytes of each file the phase reads."""
    digest = hashlib.sha256()
    for path in phase_files(phase, root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _names_in(phase: str, root: Path) -> frozenset[str]:
    words: set[str] = set()
    for path in phase_files(phase, root):
        words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path.read_text(errors="replace")))
    return frozenset(words)


def variables_read(phase: str, variables: Mapping[str, Any], root: Path = PLAYBOOKS_DIR) -> dict[str, Any]:
    """The entries of `variables` whose name appears in a file the phase reads (a variable
    is read only where it is named; naming it in a comment errs on the side of re-running)."""
    names = _names_in(phase, root)
    return {k: v for k, v in sorted(variables.items()) if k in names}


def roles_of(phases: Iterable[str], root: Path = PLAYBOOKS_DIR) -> set[str]:
    return {r for p in phases for r in playbook_roles(p, root)}
