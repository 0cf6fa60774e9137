"""Progress of long work, on stderr: what is being done and how far it is.

On a terminal a tqdm bar (the total is known: the stacks, the steps); elsewhere (CI logs,
pipes) one line per item, `check: [2/6] homelab (12.3 s so far)`, so a log shows where a
slow run spent its time. stdout stays the command's result.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO, TypeVar

T = TypeVar("T")


def steps(items: Sequence[T], what: str, stream: TextIO | None = None) -> Iterator[T]:
    """Yield `items`, telling `stream` (stderr) which one is under way, k of n, and the time so far.
    One item is not worth a bar: nothing is printed then."""
    out = stream or sys.stderr
    if len(items) < 2:
        yield from items
        return
    if out.isatty():
        from tqdm import tqdm

        with tqdm(total=len(items), file=out, leave=False, ncols=100,
                  bar_format="{desc} {bar:20} {elapsed}") as bar:
            for k, item in enumerate(items, 1):
                bar.set_description_str(f"{what}: [{k}/{len(items)}] {item}")
                yield item
                bar.update(1)
        return
    started = time.monotonic()
    for k, item in enumerate(items, 1):
        print(f"{what}: [{k}/{len(items)}] {item} ({time.monotonic() - started:.1f} s so far)", file=out, flush=True)
        yield item
    print(f"{what}: {len(items)} done in {time.monotonic() - started:.1f} s", file=out, flush=True)


def announce(what: str, needs: Iterable[str], stream: TextIO | None = None) -> None:
    """Say before it starts what a command will need (root, the network), so nobody is surprised."""
    needs = list(needs)
    if needs:
        print(f"{what}: needs {' and '.join(needs)}", file=stream or sys.stderr, flush=True)
