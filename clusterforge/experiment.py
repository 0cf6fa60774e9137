"""`clusterforge experiment`: submit N copies of a GPU Job template and report allocation.

  clusterforge experiment KUBECONFIG --template workloads/distributed-gpu-job-zone-affinity.yaml.tmpl \
      --copies 20 --gpu-type nvidia-h100-80gb --workers 20

Each copy gets its own job id. When the cluster settles (every experiment pod is
running, finished, or unschedulable, and nothing changed since the last look) or the
Jobs finish, it prints allocated vs available GPUs by zone and instance type, and the
pods still pending, and writes a picture of the allocation over the run (`--picture`,
an SVG, by default under build/experiments/: experiment_picture.py). On KWOK nodes a pod marked Running runs no process: KWOK
sets its phase, nothing executes; the report says how many pods that is.
`report()` is pure and is what the tests exercise.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any

import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.server_check import cluster_errors, kubeconfig_problem
from components.config.emulation import parse_quantity
from components.plan.emulation.nodes import FAKE_KEY, FAKE_VALUE

ZONE = "topology.kubernetes.io/zone"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
EXPERIMENT_LABEL = "clusterforge.io/experiment"
GPU_SUFFIX = "/gpu"
PICTURES = PROJECT_ROOT / "build" / "experiments"  # beside the renders (build/ is not committed)


def _gpus(resources: dict[str, str] | None) -> Decimal:
    return sum((parse_quantity(str(v)) for k, v in (resources or {}).items() if k.endswith(GPU_SUFFIX)),
               Decimal(0))


def _pod_gpus(pod: dict[str, Any]) -> Decimal:
    # The scheduler reserves the larger of the sum of containers and any init container.
    spec = pod.get("spec") or {}
    main = sum((_gpus((c.get("resources") or {}).get("requests")) for c in spec.get("containers") or []),
               Decimal(0))
    init = max((_gpus((c.get("resources") or {}).get("requests")) for c in spec.get("initContainers") or []),
               default=Decimal(0))
    return max(main, init)


@dataclass
class Row:
    zone: str
    instance_type: str
    nodes: int = 0
    available: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    pending: int = 0
    pending_gpus: Decimal = Decimal(0)
    running: int = 0
    succeeded: int = 0
    # Pods on KWOK nodes: their Running phase is KWOK's, no process runs.
    on_kwok_nodes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "byZoneAndInstanceType": [
                {"zone": r.zone, "instanceType": r.instance_type, "nodes": r.nodes,
                 "gpusAvailable": int(r.available), "gpusAllocated": int(r.allocated)} for r in self.rows],
            "gpusAvailable": int(sum(r.available for r in self.rows)),
            "gpusAllocated": int(sum(r.allocated for r in self.rows)),
            "podsPending": self.pending, "gpusPending": int(self.pending_gpus),
            "podsRunning": self.running, "podsSucceeded": self.succeeded,
            "podsOnKwokNodes": self.on_kwok_nodes,
        }


def report(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> Report:
    """Allocated vs available GPUs per (zone, instance type), and pending pods."""
    rows: dict[tuple[str, str], Row] = {}
    where: dict[str, tuple[str, str]] = {}
    kwok = {n["metadata"]["name"] for n in nodes
            if ((n.get("metadata") or {}).get("annotations") or {}).get(FAKE_KEY) == FAKE_VALUE}
    for node in nodes:
        labels = (node.get("metadata") or {}).get("labels") or {}
        available = _gpus((node.get("status") or {}).get("allocatable"))
        if not available:
            continue
        key = (labels.get(ZONE, "(no zone)"), labels.get(INSTANCE_TYPE, "(unknown)"))
        row = rows.setdefault(key, Row(*key))
        row.nodes += 1
        row.available += available
        where[node["metadata"]["name"]] = key
    out = Report()
    for pod in pods:
        phase = (pod.get("status") or {}).get("phase", "Pending")
        node_name = (pod.get("spec") or {}).get("nodeName")
        out.on_kwok_nodes += node_name in kwok
        if phase == "Succeeded":
            out.succeeded += 1
        elif phase == "Failed":
            continue
        elif not node_name:
            out.pending += 1
            out.pending_gpus += _pod_gpus(pod)
        else:
            out.running += phase == "Running"
            if node_name in where:
                rows[where[node_name]].allocated += _pod_gpus(pod)
    out.rows = sorted(rows.values(), key=lambda r: (r.zone, r.instance_type))
    return out


def format_report(rep: Report) -> str:
    header = ("zone", "instance type", "nodes", "GPUs allocated", "GPUs available", "used")
    lines = [header]
    for r in rep.rows:
        used = f"{100 * r.allocated / r.available:.1f}%" if r.available else "-"
        lines.append((r.zone, r.instance_type, str(r.nodes), str(int(r.allocated)), str(int(r.available)), used))
    total_a = sum(r.allocated for r in rep.rows)
    total_v = sum(r.available for r in rep.rows)
    lines.append(("total", "", str(sum(r.nodes for r in rep.rows)), str(int(total_a)), str(int(total_v)),
                  f"{100 * total_a / total_v:.1f}%" if total_v else "-"))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    text = ["  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip()
            for row in lines]
    text.append(f"pods: {rep.running} running, {rep.succeeded} succeeded, {rep.pending} pending "
                f"({int(rep.pending_gpus)} GPUs waiting)")
    if rep.on_kwok_nodes:
        text.append(f"note: {rep.on_kwok_nodes} of these pods are on KWOK nodes: KWOK marks them Running or "
                    "Succeeded and no process runs; the figures are the scheduler's placement, not work done")
    return "\n".join(text)


def render_job(template_text: str, job_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """One copy of a workload template with its job id (string.Template placeholders)."""
    return yaml.safe_load(Template(template_text).substitute({**params, "job_id": job_id}))


def settled(pods: list[dict[str, Any]]) -> bool:
    """Every pod is running, finished, or reported unschedulable by the scheduler."""
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") in ("Running", "Succeeded", "Failed"):
            continue
        scheduled = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
        if not (scheduled and scheduled[0].get("status") == "False"
                and scheduled[0].get("reason") == "Unschedulable"):
            return False
    return True


class Cluster:
    """The handful of API calls the command makes, over the kubernetes client."""

    def __init__(self, kubeconfig: str):
        from kubernetes import client, config

        if not Path(kubeconfig).is_file():
            raise FileNotFoundError(f"{kubeconfig} does not exist (write it with `kind get kubeconfig "
                                    "--name NAME > FILE`)")
        api = config.new_client_from_config(config_file=kubeconfig)
        self.core = client.CoreV1Api(api)
        self.batch = client.BatchV1Api(api)

    def _items(self, call, **kwargs) -> list[dict[str, Any]]:
        items, token = [], None
        while True:
            page = json.loads(call(limit=500, _continue=token, _preload_content=False, **kwargs).data)
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def nodes(self) -> list[dict[str, Any]]:
        return self._items(self.core.list_node)

    def pods(self, selector: str) -> list[dict[str, Any]]:
        return self._items(self.core.list_pod_for_all_namespaces, label_selector=selector)

    def submit(self, namespace: str, job: dict[str, Any]) -> None:
        self.batch.create_namespaced_job(namespace, job)


def _whole(minimum: int, why: str):
    """An argparse type: a whole number of at least `minimum`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is below {minimum}; {why}")
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0 seconds")
    return value


def _checked(check, what: str):
    def parse(text: str) -> str:
        errs = check(text)
        if errs:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}: {'; '.join(errs)}")
        return text
    return parse


def _quantity_errors(text: str) -> list[str]:
    try:
        parse_quantity(text)
    except ValueError as err:
        return [str(err)]
    return []


def _templates() -> str:
    return "\n".join(f"  {p.relative_to(PROJECT_ROOT).as_posix()}"
                     for p in sorted((PROJECT_ROOT / "workloads").glob("*.tmpl")))


def _parser() -> argparse.ArgumentParser:
    from components.config.k8s_names import dns1123_label_errors, label_value_errors
    from components.config.k8s_values import is_go_duration

    parser = argparse.ArgumentParser(prog="clusterforge experiment", description=__doc__.split("\n\n")[0],
                                     epilog=f"shipped templates:\n{_templates()}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kubeconfig", help="kubeconfig file of the emulated cluster (e.g. from `kind get kubeconfig`)")
    parser.add_argument("--template", default="workloads/distributed-gpu-job-zone-affinity.yaml.tmpl",
                        help="Job template, relative to the project or absolute (shipped ones below)")
    parser.add_argument("--copies", type=_whole(1, "submit at least one Job"), default=10, help="how many Jobs to submit (default 10)")
    parser.add_argument("--namespace", default="default", type=_checked(dns1123_label_errors, "a namespace name"),
                        help="namespace the Jobs go to (default default)")
    parser.add_argument("--gpu-type", default="nvidia-h100-80gb",
                        type=_checked(label_value_errors, "a label value"),
                        help="datastrophic.io/gpu-type of the nodes the workers need (default nvidia-h100-80gb)")
    parser.add_argument("--workers", type=_whole(1, "a Job needs at least one worker"), default=8,
                        help="pods per Job, one per node (default 8)")
    parser.add_argument("--gpus", type=_whole(0, "give 0 or more GPUs"), default=8, help="GPUs each worker requests (default 8)")
    parser.add_argument("--cpu", default="24", type=_checked(_quantity_errors, "a CPU quantity"),
                        help="CPU each worker requests, a Kubernetes quantity (default 24)")
    parser.add_argument("--memory", default="256Gi", type=_checked(_quantity_errors, "a memory quantity"),
                        help="memory each worker requests, a Kubernetes quantity (default 256Gi)")
    parser.add_argument("--duration", default="10m",
                        type=_checked(lambda t: [] if is_go_duration(t) else ["write e.g. 90s, 10m or 1h30m"],
                                      "a duration"),
                        help="simulated run time of each worker, a Go duration for KWOK's delay (default 10m)")
    parser.add_argument("--timeout", type=_seconds, default=600,
                        help="seconds to wait for the cluster to settle before reporting (default 600)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument("--picture", metavar="SVG",
                        help="where to write the allocation picture (default build/experiments/allocation-RUN.svg "
                             "in the project, beside the renders)")
    return parser


def _cluster_problem(kubeconfig: str, err: BaseException) -> str:
    return f"experiment: {kubeconfig_problem(kubeconfig, err)}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    template_path = Path(args.template)
    if not template_path.is_absolute():
        template_path = PROJECT_ROOT / template_path
    try:
        template = template_path.read_text(encoding="utf-8")
        params = {"gpu_type": args.gpu_type, "workers": args.workers, "gpus": args.gpus,
                  "cpu": args.cpu, "memory": args.memory, "duration": args.duration}
        run = uuid.uuid4().hex[:6]
        jobs = [render_job(template, f"{run}-{i}", params) for i in range(args.copies)]
        if not all(isinstance(j, dict) and j.get("kind") == "Job" for j in jobs):
            raise ValueError("it does not give a batch/v1 Job")
    except (OSError, KeyError, ValueError, yaml.YAMLError) as err:
        print(f"experiment: cannot use template {template_path}: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2

    try:
        return _run(args, jobs, run)
    except cluster_errors() as err:
        print(_cluster_problem(args.kubeconfig, err), file=sys.stderr)
        return 2


def _run(args, jobs: list[dict[str, Any]], run: str) -> int:
    from clusterforge.experiment_picture import draw

    cluster = Cluster(args.kubeconfig)
    nodes = cluster.nodes()  # the emulated nodes do not change during a run; read once for the samples
    started = time.monotonic()
    samples = [(0.0, report(nodes, []))]
    for job in jobs:
        cluster.submit(args.namespace, job)
    print(f"submitted {len(jobs)} jobs of {args.workers} workers (run {run})", file=sys.stderr)

    selector = f"{EXPERIMENT_LABEL}=true"
    deadline = time.monotonic() + args.timeout
    previous: list[tuple] | None = None
    while True:
        time.sleep(5)
        pods = cluster.pods(selector)
        samples.append((round(time.monotonic() - started, 1), report(nodes, pods)))
        state = sorted(((p["metadata"]["name"], (p.get("status") or {}).get("phase")) for p in pods))
        expected = args.copies * args.workers
        if len(pods) >= expected and settled(pods) and state == previous:
            break
        if time.monotonic() > deadline:
            print(f"experiment: not settled after {args.timeout:.0f}s; reporting the current state",
                  file=sys.stderr)
            break
        previous = state
    rep = report(cluster.nodes(), pods)
    samples.append((round(time.monotonic() - started, 1), rep))
    print(json.dumps(rep.as_dict(), sort_keys=True) if args.json else format_report(rep))
    picture = Path(args.picture) if args.picture else PICTURES / f"allocation-{run}.svg"
    try:
        draw(samples, picture, f"run {run}: GPUs allocated of available by zone and instance type")
        print(f"experiment: allocation picture written to {picture}", file=sys.stderr)
    except (OSError, ValueError) as err:
        print(f"experiment: no picture written ({err})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
