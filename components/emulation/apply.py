"""Apply one node group to a cluster in bulk: `python -m components.emulation.apply`.

Run by the group's `pulumi_command.local.Command`:
  create/update  stdin: the compact group spec (JSON). PULUMI_COMMAND_STDOUT: the spec
                 printed by the previous run. Lists the group's nodes, plans the
                 difference, applies it with server-side apply (object, then status),
                 and prints the applied spec, which becomes the next run's "previous".
  --delete       deletes every node labelled with the group.
The kubeconfig comes in the CLUSTERFORGE_KUBECONFIG environment variable (a secret in
Pulumi state) and is loaded from memory, never put on a command line.
A run that fails part-way exits 1; the next run lists the nodes again and finishes.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import yaml

from components.emulation.node_http import HttpNodeApi, supports
from components.plan.emulation.nodes import GROUP_LABEL
from components.plan.emulation.planner import Plan, plan

KUBECONFIG_ENV = "CLUSTERFORGE_KUBECONFIG"
FIELD_MANAGER = "clusterforge"


class NodeApi(Protocol):
    """The five calls the apply needs; `KubeNodeApi` talks to a real API server."""

    def list_group(self, group: str) -> list[dict[str, Any]]: ...
    def create(self, node: dict[str, Any]) -> None: ...
    def apply(self, node: dict[str, Any]) -> None: ...
    def apply_status(self, node: dict[str, Any]) -> None: ...
    def delete(self, name: str) -> None: ...


class KubeNodeApi:
    """NodeApi over the kubernetes Python client, with server-side apply."""

    def __init__(self, kubeconfig: dict[str, Any]):
        from kubernetes import client, config

        settings = client.Configuration()
        # Bulk applies run in parallel; a small connection pool would serialise them.
        settings.connection_pool_maxsize = 32
        api_client = config.new_client_from_config_dict(kubeconfig, client_configuration=settings)
        self._core = client.CoreV1Api(api_client)
        self._exceptions = client.exceptions

    def list_group(self, group: str) -> list[dict[str, Any]]:
        # Raw JSON: thousands of nodes deserialise much faster than into client models.
        nodes: list[dict[str, Any]] = []
        token = None
        while True:
            raw = self._core.list_node(label_selector=f"{GROUP_LABEL}={group}", limit=500,
                                       _continue=token, _preload_content=False)
            page = json.loads(raw.data)
            nodes += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return nodes

    # Writes take the response raw: the API server answers each with the whole Node, which the
    # client would otherwise turn into model objects, thousands of times, for nothing.

    def create(self, node: dict[str, Any]) -> None:
        # A server-side apply that creates the Node keeps its status (as a kubelet's
        # registration does): one request per new node instead of two.
        _done(self._core.patch_node(node["metadata"]["name"], node, field_manager=FIELD_MANAGER, force=True,
                                    _content_type="application/apply-patch+yaml", _preload_content=False))

    def apply(self, node: dict[str, Any]) -> None:
        body = {k: v for k, v in node.items() if k != "status"}
        _done(self._core.patch_node(node["metadata"]["name"], body, field_manager=FIELD_MANAGER, force=True,
                                    _content_type="application/apply-patch+yaml", _preload_content=False))

    def apply_status(self, node: dict[str, Any]) -> None:
        body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node["metadata"]["name"]},
                "status": node["status"]}
        _done(self._core.patch_node_status(node["metadata"]["name"], body, field_manager=FIELD_MANAGER,
                                           force=True, _content_type="application/apply-patch+yaml",
                                           _preload_content=False))

    def delete(self, name: str) -> None:
        try:
            _done(self._core.delete_node(name, _preload_content=False))
        except self._exceptions.ApiException as err:
            if err.status != 404:  # already gone: the goal is reached
                raise


def _done(response: Any) -> None:
    """Read a raw response to its end and hand its connection back to the pool."""
    response.read()
    response.release_conn()


@dataclass
class Outcome:
    plan: Plan
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def _run_all(items: list[Any], key: Callable[[Any], str], action: Callable[[Any], None],
             failures: dict[str, str], workers: int) -> None:
    def one(item: Any) -> None:
        try:
            action(item)
        except Exception as err:  # noqa: BLE001 - every failure is reported, the rest go on
            failures[key(item)] = f"{type(err).__name__}: {err}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, items))


def _apply_node(api: NodeApi, node: dict[str, Any]) -> None:
    api.apply(node)
    api.apply_status(node)


def converge(api: NodeApi, old: dict[str, Any] | None, new: dict[str, Any] | None,
             group: str, workers: int = 16) -> Outcome:
    """List the group's nodes, plan against them, and carry the plan out."""
    observed = api.list_group(group)
    todo = plan(old, new, observed)
    failures: dict[str, str] = {}
    name = lambda node: node["metadata"]["name"]  # noqa: E731
    _run_all(todo.creates, name, api.create, failures, workers)
    _run_all(todo.patches, name, lambda n: _apply_node(api, n), failures, workers)
    _run_all(todo.deletes, str, api.delete, failures, workers)
    return Outcome(todo, failures)


def _previous_spec(text: str | None) -> dict[str, Any] | None:
    # The previous stdout is the spec we printed; anything else (first run, a failed
    # run that printed nothing) means "no previous spec": the observed nodes decide.
    if not text:
        return None
    try:
        spec = json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return spec if isinstance(spec, dict) and "group" in spec else None


def _with_kubeconfig(run: Callable[[NodeApi], int]) -> int:
    content = os.environ.get(KUBECONFIG_ENV)
    if not content:
        print(f"error: {KUBECONFIG_ENV} is not set; the Pulumi program passes the cluster's "
              "kubeconfig in it", file=sys.stderr)
        return 2
    config = yaml.safe_load(content)
    # Static credentials (every kubeconfig the program makes) skip the kubernetes client's import.
    api = HttpNodeApi(config, FIELD_MANAGER) if supports(config) else KubeNodeApi(config)
    return run(api)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report(outcome: Outcome, group: str) -> int:
    # The CPU this process spent is part of the line: the e2e bench adds it up per 1,000 nodes.
    print(f"node group {group}: {outcome.plan.summary()} (cpu {_cpu_s():.2f} s)", file=sys.stderr)
    for node, error in sorted(outcome.failures.items())[:20]:
        print(f"  failed {node}: {error}", file=sys.stderr)
    if outcome.failures:
        print(f"{len(outcome.failures)} node(s) failed; run `pulumi up` again to finish "
              "(the next run lists the nodes and applies only what is missing)", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None, api: NodeApi | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.emulation.apply")
    parser.add_argument("--delete", metavar="GROUP", help="delete every node of GROUP")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)

    if args.delete:
        def delete(node_api: NodeApi) -> int:
            return _report(converge(node_api, None, None, args.delete, args.workers), args.delete)
        return delete(api) if api else _with_kubeconfig(delete)

    new = json.loads(sys.stdin.read())
    old = _previous_spec(os.environ.get("PULUMI_COMMAND_STDOUT"))

    def apply(node_api: NodeApi) -> int:
        code = _report(converge(node_api, old, new, new["group"], args.workers), new["group"])
        if code == 0:
            print(json.dumps(new, sort_keys=True, separators=(",", ":")))
        return code

    return apply(api) if api else _with_kubeconfig(apply)


if __name__ == "__main__":
    sys.exit(main())
