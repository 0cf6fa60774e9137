"""How long an offline render of each shipped stack takes, and how many resources it declares."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ..render import render_stack
from ..stackfile import stack_names


def run() -> dict:
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-") as tmp:
        for stack in stack_names():
            start = time.perf_counter()
            result = render_stack(stack, Path(tmp) / stack)
            seconds = round(time.perf_counter() - start, 3)
            figures[f"{stack}_s"] = seconds
            figures[f"{stack}_resources"] = len(result.recording.resources)
            print(f"{stack}: {seconds:.3f} s, {len(result.recording.resources)} resources, "
                  f"{len(result.objects)} objects")
    return figures
