"""A stable hash of the playbook tree: part of each provisioning phase's triggers, so editing
a role re-runs the phases that use it and nothing else does."""
from __future__ import annotations

import hashlib
from pathlib import Path

PLAYBOOKS_DIR = Path(__file__).resolve().parents[2] / "playbooks"
_IGNORED = {"__pycache__", ".retry", ".pyc"}


def playbook_tree_hash(root: Path = PLAYBOOKS_DIR) -> str:
    """sha256 over every file's relative path and bytes, in path order (mtime and mode ignored)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if _IGNORED & {*path.parts, path.suffix}:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
