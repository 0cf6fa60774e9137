"""The directory a render writes into: only ever one that a render owns.

A render replaces its output directory whole, so it must never be pointed at anything
else (`--out .` in a checkout would take `.git` with it). A render leaves a marker file;
a directory is replaced only when it carries that marker, is empty, or does not exist.
"""
from __future__ import annotations

import shutil
from pathlib import Path

MARKER = ".clusterforge-render"


class RenderOutError(Exception):
    """The output directory cannot be used; nothing was changed."""


def _marked(out: Path, marker_name: str = MARKER) -> bool:
    marker = out / marker_name
    return marker.is_file() and not marker.is_symlink()


def check_out_dir(out: Path, marker: str = MARKER, what: str = "render") -> None:
    """Refuse an output path a render (or `what`) must not replace (raises RenderOutError)."""
    if out.is_symlink():
        raise RenderOutError(f"{out} is a symbolic link; give the directory itself")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise RenderOutError(f"{parent} is a file, so {out} cannot be a directory")
    if not out.exists():
        return
    if not out.is_dir():
        raise RenderOutError(f"{out} is a file, not a directory; give a directory to {what} into")
    if _marked(out, marker) or not any(out.iterdir()):
        return
    raise RenderOutError(
        f"{out} already holds files that no {what} wrote (it has no {marker} marker), so it is "
        f"left alone; give a new or empty directory, or one an earlier {what} wrote")


def fresh_out_dir(out: Path, stack: str, marker: str = MARKER, command: str = "render") -> None:
    """Empty `out` (checked again) and mark it as a render's, so the next render may replace it."""
    check_out_dir(out, marker, command)
    try:
        if out.exists():
            shutil.rmtree(out)  # removes symlinks inside, never what they point to
        out.mkdir(parents=True)
        (out / marker).write_text(f"written by `clusterforge {command} {stack}`; the next {command} replaces "
                                  "this directory whole\n")
    except OSError as err:
        raise RenderOutError(f"{out}: {err.strerror or err}") from None


def claim_out_root(root: Path) -> None:
    """`render all --out ROOT`: ROOT holds one render per stack, so it is guarded as one render's
    directory is (new, empty or marked), then marked; its contents are left to each stack's render."""
    check_out_dir(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER
        if not marker.exists():
            marker.write_text("written by `clusterforge render all`: one render per stack below; "
                              "a later render may replace this directory\n")
    except OSError as err:
        raise RenderOutError(f"{root}: {err.strerror or err}") from None
