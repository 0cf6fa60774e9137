"""A stable hash of the whole playbook tree (the runner's and the tests' fingerprint of it).
The commands' triggers hash only the files each phase reads: role_reads.phase_hash."""
from __future__ import annotations

import hashlib
from pathlib import Path

PLAYBOOKS_DIR = Path(__file__).resolve().parents[3] / "playbooks"
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
