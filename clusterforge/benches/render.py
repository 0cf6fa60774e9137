"""How long an offline render of each shipped stack takes, and how many resources it declares."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from clusterforge.progress import steps
from clusterforge.render import render_stack
from clusterforge.stackfile import StackFileError, stack_names
from components.config import ConfigError


def run() -> dict:
    """Figures of every stack that renders; a stack that does not is reported and skipped."""
    figures: dict[str, float | int | list[str]] = {}
    invalid: list[str] = []
    with tempfile.TemporaryDirectory(prefix="clusterforge-bench-") as tmp:
        for stack in steps(stack_names(), "bench render"):
            start = time.perf_counter()
            try:
                result = render_stack(stack, Path(tmp) / stack)
            except (ConfigError, StackFileError) as err:
                invalid.append(stack)
                problems = err.findings if isinstance(err, ConfigError) else [err]
                print(f"{stack}: not benchmarked, its config has {len(problems)} problem(s):", file=sys.stderr)
                for problem in problems:
                    print(f"  {problem}", file=sys.stderr)
                continue
            seconds = round(time.perf_counter() - start, 3)
            figures[f"{stack}_s"] = seconds
            figures[f"{stack}_resources"] = len(result.recording.resources)
            print(f"{stack}: {seconds:.3f} s, {len(result.recording.resources)} resources, "
                  f"{len(result.objects)} objects")
    if invalid:
        figures["invalid_stacks"] = invalid
    return figures
