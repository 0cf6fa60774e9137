"""The emulated capacity by node group and zone, as the render summary prints it."""
from __future__ import annotations

from decimal import Decimal

from components.config.emulation import EmulationConfig, parse_quantity

GIB = Decimal(2**30)
# What every place that shows emulated capacity says about it (render summary, stack output).
KWOK_NOTE = ("KWOK fakes these nodes and their pods: a pod KWOK marks Running runs no process "
             "(KWOK sets its status, nothing executes), so capacity and placement are real to the "
             "scheduler and nothing else")


def _gpus(capacity: dict[str, str]) -> Decimal:
    # nvidia.com/gpu, amd.com/gpu, gpu.intel.com/i915...: any extended resource named gpu.
    return sum((parse_quantity(v) for k, v in capacity.items()
                if k.endswith("/gpu") or k.split("/")[-1].startswith("gpu")), Decimal(0))


def capacity_rows(cfg: EmulationConfig) -> list[tuple[str, str, int, Decimal, Decimal, Decimal]]:
    """(group, zone, nodes, CPUs, memory GiB, GPUs) for every placement."""
    rows = []
    for group in cfg.node_groups:
        cap = group.node_template.capacity
        cpu = parse_quantity(cap.get("cpu", "0"))
        mem = parse_quantity(cap.get("memory", "0")) / GIB
        gpu = _gpus(cap)
        for place in group.placement:
            n = place.replicas
            rows.append((group.name, place.availability_zone, n, cpu * n, mem * n, gpu * n))
    return rows


def emulation_output(cfg: EmulationConfig) -> dict[str, object]:
    """The stack output of an emulated stack: how many nodes KWOK fakes, and what that means."""
    return {"nodes": sum(row[2] for row in capacity_rows(cfg)), "note": KWOK_NOTE}


def _num(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


def capacity_table(cfg: EmulationConfig) -> str:
    rows = capacity_rows(cfg)
    if not rows:
        return ""
    header = ("group", "zone", "nodes", "CPUs", "memory GiB", "GPUs")
    body = [(g, z, f"{n:,}", _num(c), _num(m), _num(u)) for g, z, n, c, m, u in rows]
    total = ("total", "", f"{sum(r[2] for r in rows):,}", _num(sum(r[3] for r in rows)),
             _num(sum(r[4] for r in rows)), _num(sum(r[5] for r in rows)))
    table = [header, *body, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [row[i].ljust(widths[i]) if i < 2 else row[i].rjust(widths[i]) for i in range(len(row))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
