"""KWOK Stages: how fake nodes and the pods placed on them move through their lifecycle.

Stages are KWOK's `kwok.x-k8s.io/v1alpha1` Stage custom resources. Node stages mark a
fake node Ready and keep it Ready; pod stages either run pods at once (`fast`) or wait
for the delays workloads ask for in `pod-<stage>.stage.kwok.x-k8s.io/delay` annotations
(`delay`), so a Job can hold its GPUs for a simulated training time and then finish.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

STAGE_API = "kwok.x-k8s.io/v1alpha1"
DELAY_ANNOTATION = re.compile(r"pod-(ready|complete|delete)\.stage\.kwok\.x-k8s\.io/(jitter-)?delay")
# Node conditions KWOK maintains itself; any other condition on a node (declared in a
# group's `conditions`) is carried over unchanged by the node stages below.
KWOK_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")

# Go templates KWOK renders against the object. Written for this project; they follow
# the semantics of KWOK's published node-fast and pod-fast/pod-general stage sets.
_KEEP_EXTRA_CONDITIONS = (
    "{{ range .status.conditions }}"
    + "".join(f'{{{{ if ne .type "{c}" }}}}' for c in KWOK_CONDITIONS)
    + '\n- type: {{ .type | Quote }}\n  status: {{ .status | Quote }}\n'
    + '  reason: {{ or .reason "" | Quote }}\n  message: {{ or .message "" | Quote }}\n'
    + '  lastHeartbeatTime: {{ $now | Quote }}\n'
    + '  lastTransitionTime: {{ or .lastTransitionTime $now | Quote }}\n'
    + "{{ end }}" * len(KWOK_CONDITIONS)
    + "{{ end }}\n"
)

_NODE_CONDITIONS = """{{ $now := Now }}
conditions:
{{ range NodeConditions }}
- type: {{ .type | Quote }}
  status: {{ .status | Quote }}
  reason: {{ .reason | Quote }}
  message: {{ .message | Quote }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
""" + _KEEP_EXTRA_CONDITIONS

_NODE_ADDRESSES = """addresses:
{{ with NodeIP }}
- type: InternalIP
  address: {{ . | Quote }}
{{ end }}
{{ with NodeName }}
- type: Hostname
  address: {{ . | Quote }}
{{ end }}
{{ with NodePort }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
"""

# Capacity, allocatable and nodeInfo come from the generated Node; KWOK only fills gaps.
_NODE_INITIALIZE = _NODE_CONDITIONS + _NODE_ADDRESSES + """{{ with .status.capacity }}
capacity:
{{ YAML . 1 }}
{{ end }}
{{ with .status.allocatable }}
allocatable:
{{ YAML . 1 }}
{{ end }}
phase: Running
"""

_POD_RUNNING = """{{ $now := Now }}
conditions:
- type: Initialized
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: Ready
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ range .spec.readinessGates }}
- type: {{ .conditionType | Quote }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: true
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
{{ with NodeIPsWith .spec.nodeName }}
hostIP: {{ index . 0 | Quote }}
{{ end }}
{{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
phase: Running
startTime: {{ $now | Quote }}
"""

_POD_SUCCEEDED = """{{ $now := Now }}
conditions:
- type: Ready
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      finishedAt: {{ $now | Quote }}
{{ end }}
phase: Succeeded
"""

_NOT_DELETED = {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"}


def _stage(name: str, kind: str, match: list[dict], next_: dict, delay: dict | None = None) -> dict:
    spec: dict[str, Any] = {
        "resourceRef": {"apiGroup": "v1", "kind": kind},
        "selector": {"matchExpressions": match},
        "next": next_,
    }
    if delay:
        spec["delay"] = delay
    return {"apiVersion": STAGE_API, "kind": "Stage",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "kwok",
                                                  "app.kubernetes.io/managed-by": "clusterforge"}},
            "spec": spec}


def _annotation_delay(stage: str, default_ms: int, jitter: bool = False) -> dict:
    delay: dict[str, Any] = {
        "durationMilliseconds": default_ms,
        "durationFrom": {"expressionFrom": f'.metadata.annotations["pod-{stage}.stage.kwok.x-k8s.io/delay"]'},
    }
    if jitter:
        # Only from the annotation: KWOK caps the delay at the jitter when the jitter is
        # not longer, so a fixed 0 ms jitter would cancel every annotated delay.
        delay["jitterDurationFrom"] = {
            "expressionFrom": f'.metadata.annotations["pod-{stage}.stage.kwok.x-k8s.io/jitter-delay"]'}
    return delay


def node_stages() -> list[dict]:
    ready = '.status.conditions.[] | select( .type == "Ready" ) | .status'
    return [
        _stage("node-initialize", "Node",
               [{"key": ready, "operator": "NotIn", "values": ["True"]}],
               {"statusTemplate": _NODE_INITIALIZE}),
        # Status refresh every ~10 min; the node lease (kept by the controller) is the
        # frequent heartbeat, which keeps API load low at thousands of nodes.
        _stage("node-heartbeat-with-lease", "Node",
               [{"key": ".status.phase", "operator": "In", "values": ["Running"]},
                {"key": ready, "operator": "In", "values": ["True"]}],
               {"statusTemplate": _NODE_CONDITIONS + _NODE_ADDRESSES},
               {"durationMilliseconds": 600000, "jitterDurationMilliseconds": 610000}),
    ]


def pod_stages(mode: str) -> list[dict]:
    """`fast`: Ready at once, Job pods complete at once. `delay`: honour delay annotations."""
    delayed = mode == "delay"
    ready_cond = '.status.conditions.[] | select( .type == "Ready" ) | .status'
    job_owned = {"key": ".metadata.ownerReferences.[].kind", "operator": "In", "values": ["Job"]}
    return [
        _stage("pod-ready", "Pod",
               [_NOT_DELETED, {"key": ".status.phase", "operator": "In", "values": ["Pending"]},
                {"key": ready_cond, "operator": "NotIn", "values": ["True"]}],
               {"statusTemplate": _POD_RUNNING},
               _annotation_delay("ready", 0, jitter=True) if delayed else None),
        _stage("pod-complete", "Pod",
               [_NOT_DELETED, {"key": ".status.phase", "operator": "In", "values": ["Running"]}, job_owned],
               {"statusTemplate": _POD_SUCCEEDED},
               _annotation_delay("complete", 0, jitter=True) if delayed else None),
        _stage("pod-delete", "Pod",
               [{"key": ".metadata.deletionTimestamp", "operator": "Exists"}],
               {"delete": True},
               _annotation_delay("delete", 0) if delayed else None),
    ]


def uses_delay_annotations(texts: Iterable[str]) -> bool:
    return any(DELAY_ANNOTATION.search(text) for text in texts)


def pod_stage_mode(configured: str, workload_paths: Iterable[str], root: Path) -> str:
    """Resolve `kwok.podStages: auto` from the workloads the stack lists."""
    if configured != "auto":
        return configured
    texts = [(root / p).read_text(encoding="utf-8") for p in workload_paths if (root / p).is_file()]
    return "delay" if uses_delay_annotations(texts) else "fast"


def all_stages(mode: str) -> list[dict]:
    return node_stages() + pod_stages(mode)
