"""The picture of an experiment's allocation: GPUs allocated against available, per zone and
instance type, over the experiment's time, as an SVG (matplotlib, no display needed).

People compare placements by looking: one small chart per (zone, instance type), the
allocated GPUs as a step line filled below it, the available ones as a dashed ceiling, all
on one time axis from submission to the report. The SVG is reproducible (fixed hash salt,
no date), so two runs with the same samples give the same file.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def draw(samples: Sequence[tuple[float, Any]], path: Path, title: str) -> Path:
    """Write the SVG of `samples` ((seconds since submission, experiment.Report) in time order) to `path`."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "clusterforge-experiment"
    keys = sorted({(r.zone, r.instance_type) for _, rep in samples for r in rep.rows})
    if not keys:
        raise ValueError("no node with GPUs was seen: nothing to draw")
    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.8 * rows), sharex=True, squeeze=False)
    times = [t for t, _ in samples]
    for ax, key in zip(axes.flat, keys):
        allocated, available = [], []
        for _, rep in samples:
            row = next((r for r in rep.rows if (r.zone, r.instance_type) == key), None)
            allocated.append(int(row.allocated) if row else 0)
            available.append(int(row.available) if row else 0)
        ax.step(times, allocated, where="post", color="#c2410c", label="allocated")
        ax.fill_between(times, allocated, step="post", color="#ffedd5")
        ax.step(times, available, where="post", color="#4b5563", linestyle="--", label="available")
        last = allocated[-1] / available[-1] if available[-1] else 0
        ax.set_title(f"{key[0]} · {key[1]}  ({allocated[-1]}/{available[-1]}, {100 * last:.0f}%)", fontsize=9)
        ax.set_ylim(0, max(available + allocated + [1]) * 1.1)
        ax.grid(True, linewidth=0.3)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("seconds since submission")
    for ax in axes[:, 0]:
        ax.set_ylabel("GPUs")
    axes.flat[0].legend(loc="lower right", fontsize=8)
    final = samples[-1][1]
    fig.suptitle(f"{title}: {final.running} pods running, {final.pending} pending", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return path
