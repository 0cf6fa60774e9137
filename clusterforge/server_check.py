"""`clusterforge check STACK --server KUBECONFIG`: a server-side dry-run of every object.

The API server itself admits (or refuses) each rendered object with `dryRun=All`, so
its own validation runs: OpenAPI schemas, CEL rules in CRDs, defaulting, admission.
Nothing is persisted but what a dry-run needs to exist first: the CRDs the objects use
(from the upstream CRD directory) and the namespaces they live in. Those are created
with a label naming this check, and the namespaces it created are deleted afterwards;
nothing else is touched.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIELD_MANAGER = "clusterforge-check"
CREATED_BY = ("app.kubernetes.io/created-by", "clusterforge-check")
# Render placeholders that only the engine fills in: such objects cannot be dry-run.
PLACEHOLDERS = ("(known after apply)", "[secret]")


@dataclass
class ServerReport:
    admitted: int = 0
    findings: list[str] = field(default_factory=list)
    # Objects that carry values only known after apply, by id.
    unresolved: list[str] = field(default_factory=list)
    crds_applied: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def server_errors() -> tuple[type[BaseException], ...]:
    """What the kubernetes client raises for a server that refuses, fails or cannot be reached."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    return ApiException, HTTPError, ConnectionError


def cluster_errors() -> tuple[type[BaseException], ...]:
    """server_errors(), and what the client raises for a kubeconfig it cannot use."""
    from kubernetes.config.config_exception import ConfigException

    return (*server_errors(), ConfigException, OSError, yaml.YAMLError, TypeError, ValueError, AttributeError)


def kubeconfig_problem(kubeconfig: Path | str, err: BaseException) -> str:
    """One line for a kubeconfig or cluster the client could not use (never a traceback)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"cannot use the cluster of kubeconfig {kubeconfig}: {text[:300]}"


def reachable(kubeconfig: Path, timeout_s: float = 10) -> dict[str, Any]:
    """The kubeconfig as a mapping, once its API server has answered (raises cluster_errors())."""
    from kubernetes import client, config

    doc = yaml.safe_load(Path(kubeconfig).read_text())
    if not isinstance(doc, dict):
        raise ValueError("it is not a kubeconfig mapping (apiVersion: v1, kind: Config)")
    settings = client.Configuration()
    settings.retries = 0  # one refused connection is enough to say so
    api = config.new_client_from_config_dict(doc, client_configuration=settings)
    client.VersionApi(api).get_code(_request_timeout=timeout_s)
    return doc


def object_id(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind', '?')} {ns}{meta.get('name', '?')}"


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return any(p in value for p in PLACEHOLDERS)
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def _crd_index(crd_dir: Path | None) -> dict[tuple[str, str], dict]:
    """(group, kind) -> the upstream CRD document that defines it."""
    index: dict[tuple[str, str], dict] = {}
    if crd_dir is None:
        return index
    for path in sorted(crd_dir.glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                spec = doc["spec"]
                index[(spec["group"], spec["names"]["kind"])] = doc
    return index


class ServerCheck:
    def __init__(self, kubeconfig: dict[str, Any], workers: int = 16):
        from kubernetes import client, config, dynamic

        settings = client.Configuration()
        settings.connection_pool_maxsize = workers * 2
        self._api = config.new_client_from_config_dict(kubeconfig, client_configuration=settings)
        self._dynamic = dynamic.DynamicClient(self._api)
        self._core = client.CoreV1Api(self._api)
        self._errors = client.exceptions.ApiException
        self._workers = workers
        self._resources: dict[tuple[str, str], Any] = {}

    def _resource(self, obj: dict[str, Any]):
        # Discovery is not thread-safe: look each kind up once, before any parallel work.
        key = (obj["apiVersion"], obj["kind"])
        if key not in self._resources:
            self._resources[key] = self._dynamic.resources.get(api_version=key[0], kind=key[1])
        return self._resources[key]

    def apply(self, obj: dict[str, Any], dry_run: bool = False) -> None:
        """Server-side apply (or its dry-run) of one object."""
        meta = obj["metadata"]
        kwargs: dict[str, Any] = {"field_manager": FIELD_MANAGER, "force_conflicts": True}
        if dry_run:
            kwargs["dry_run"] = "All"
        resource = self._resource(obj)
        namespace = meta.get("namespace") if resource.namespaced else None
        if resource.namespaced and namespace is None:
            namespace = "default"
        resource.server_side_apply(body=obj, name=meta["name"], namespace=namespace, **kwargs)

    def ensure_crds(self, objects: list[dict], crd_dir: Path | None, report: ServerReport) -> None:
        """Apply the upstream CRD of every custom kind the objects use that the server lacks."""
        index = _crd_index(crd_dir)
        wanted = {}
        for obj in objects:
            group = obj["apiVersion"].rpartition("/")[0]
            if (group, obj["kind"]) in index:
                wanted[(group, obj["kind"])] = index[(group, obj["kind"])]
        for (group, kind), crd in sorted(wanted.items()):
            try:
                self._dynamic.resources.get(api_version=f"{group}/{crd['spec']['versions'][0]['name']}",
                                            kind=kind)
                continue  # the server serves it already (e.g. kwokctl's Stage)
            except Exception:  # noqa: BLE001 - ResourceNotFoundError: apply it
                pass
            crd = {**crd, "metadata": {**crd["metadata"],
                                       "labels": {**crd["metadata"].get("labels", {}),
                                                  CREATED_BY[0]: CREATED_BY[1]}}}
            self.apply(crd, dry_run=False)
            report.crds_applied.append(crd["metadata"]["name"])
        if report.crds_applied:
            self._wait_established(report.crds_applied)
            self._dynamic = type(self._dynamic)(self._api)  # re-read discovery
            self._resources.clear()

    def _wait_established(self, names: list[str], timeout_s: float = 60) -> None:
        from kubernetes import client

        ext = client.ApiextensionsV1Api(self._api)
        deadline = time.monotonic() + timeout_s
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                conditions = ext.read_custom_resource_definition(name).status.conditions or []
                if any(c.type == "Established" and c.status == "True" for c in conditions):
                    pending.discard(name)
            time.sleep(0.5)

    def ensure_namespaces(self, objects: list[dict]) -> list[str]:
        """Create the namespaces the objects need that do not exist; return those created."""
        existing = {ns.metadata.name for ns in self._core.list_namespace().items}
        needed = sorted({o["metadata"]["namespace"] for o in objects
                         if o.get("metadata", {}).get("namespace")} - existing)
        for name in needed:
            self._core.create_namespace({"metadata": {"name": name, "labels": {CREATED_BY[0]: CREATED_BY[1]}}})
        return needed

    def delete_namespaces(self, names: list[str]) -> None:
        for name in names:
            ns = self._core.read_namespace(name)
            if (ns.metadata.labels or {}).get(CREATED_BY[0]) == CREATED_BY[1]:
                self._core.delete_namespace(name)

    def dry_run(self, objects: list[dict], report: ServerReport) -> None:
        unknown = []
        for obj in objects:
            try:
                self._resource(obj)
            except Exception as err:  # noqa: BLE001 - a kind the server does not serve
                unknown.append(obj)
                report.findings.append(f"{object_id(obj)}: the API server serves no {obj['apiVersion']} "
                                       f"{obj['kind']} ({type(err).__name__})")
        objects = [o for o in objects if not any(o is u for u in unknown)]

        def one(obj: dict) -> str | None:
            try:
                self.apply(obj, dry_run=True)
                return None
            except self._errors as err:
                return f"{object_id(obj)}: the API server refused it: {_reason(err)}"
            except Exception as err:  # noqa: BLE001 - unknown kind and the like: a finding
                return f"{object_id(obj)}: {type(err).__name__}: {err}"

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            results = list(pool.map(one, objects))
        report.findings += [r for r in results if r]
        report.admitted += sum(1 for r in results if r is None)


def _reason(err: Exception) -> str:
    import json

    body = getattr(err, "body", None)
    try:
        return json.loads(body)["message"]
    except (TypeError, ValueError, KeyError):
        return f"{getattr(err, 'status', '?')} {getattr(err, 'reason', err)}"


def server_check(objects: list[dict], kubeconfig: dict[str, Any], crd_dir: Path | None) -> ServerReport:
    report = ServerReport()
    ready = [o for o in objects if not _has_placeholder(o)]
    report.unresolved = sorted(object_id(o) for o in objects if _has_placeholder(o))
    check = ServerCheck(kubeconfig)
    check.ensure_crds(ready, crd_dir, report)
    # Namespace objects first: a namespaced object's dry-run needs its namespace.
    created = check.ensure_namespaces(ready)
    try:
        check.dry_run(ready, report)
    finally:
        check.delete_namespaces(created)
    return report
