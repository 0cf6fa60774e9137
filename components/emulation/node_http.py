"""The node apply's five calls over urllib3, for kubeconfigs with static credentials.

Importing the kubernetes client costs about half a CPU second (hundreds of model modules),
once per node-group process: as much as applying a few hundred nodes. The admin
kubeconfigs the program hands the apply (kwokctl's, kind's, kubeadm's) hold a client
certificate or a token, which urllib3 (the client's own HTTP layer) takes directly; any
other kind of user (exec plugins, auth providers) goes through the kubernetes client
(`apply.KubeNodeApi`). Requests are the same either way: server-side apply of the object,
then of its status, list by label in pages, delete.
"""
from __future__ import annotations

import atexit
import base64
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from components.plan.emulation.nodes import GROUP_LABEL

STATIC_USER_KEYS = {"client-certificate", "client-certificate-data", "client-key", "client-key-data", "token"}
APPLY = "application/apply-patch+yaml"


class NodeHttpError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


def _current(kubeconfig: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    contexts = {c["name"]: c["context"] for c in kubeconfig.get("contexts") or []}
    context = contexts[kubeconfig["current-context"]]
    clusters = {c["name"]: c["cluster"] for c in kubeconfig.get("clusters") or []}
    users = {u["name"]: u.get("user") or {} for u in kubeconfig.get("users") or []}
    return clusters[context["cluster"]], users[context.get("user", "")] if context.get("user") else {}


def supports(kubeconfig: dict[str, Any]) -> bool:
    """True when the current context's user has static credentials only."""
    try:
        _, user = _current(kubeconfig)
    except (KeyError, TypeError):
        return False
    return set(user) <= STATIC_USER_KEYS


class HttpNodeApi:
    """NodeApi over a urllib3 pool (keep-alive connections shared by the apply's threads)."""

    def __init__(self, kubeconfig: dict[str, Any], field_manager: str, pool_size: int = 32):
        cluster, user = _current(kubeconfig)
        self._field_manager = field_manager
        self._server = cluster["server"].rstrip("/")
        self._headers = {"Accept": "application/json"}
        if user.get("token"):
            self._headers["Authorization"] = f"Bearer {user['token']}"
        tls: dict[str, Any] = {}
        if self._server.startswith("https://"):
            files = Path(tempfile.mkdtemp(prefix="clusterforge-apply-"))  # 0700, removed at exit
            atexit.register(shutil.rmtree, files, True)
            tls["cert_reqs"] = "CERT_NONE" if cluster.get("insecure-skip-tls-verify") else "CERT_REQUIRED"
            tls["ca_certs"] = self._file(files, "ca", cluster, "certificate-authority")
            tls["cert_file"] = self._file(files, "cert", user, "client-certificate")
            tls["key_file"] = self._file(files, "key", user, "client-key")
        self._pool = urllib3.PoolManager(maxsize=pool_size, block=True, retries=False,
                                         **{k: v for k, v in tls.items() if v is not None})

    @staticmethod
    def _file(directory: Path, name: str, section: dict[str, Any], key: str) -> str | None:
        if section.get(f"{key}-data"):
            path = directory / name
            path.write_bytes(base64.b64decode(section[f"{key}-data"]))
            path.chmod(0o600)
            return str(path)
        return section.get(key)

    def _call(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None,
              content_type: str = "application/json") -> bytes:
        url = self._server + path + (f"?{urlencode(query)}" if query else "")
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = content_type
        response = self._pool.request(method, url, body=data, headers=headers)
        if response.status >= 300:
            raise NodeHttpError(response.status, response.data.decode(errors="replace"))
        return response.data

    def list_group(self, group: str) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        token = None
        while True:
            query = {"labelSelector": f"{GROUP_LABEL}={group}", "limit": 500}
            if token:
                query["continue"] = token
            page = json.loads(self._call("GET", "/api/v1/nodes", query))
            nodes += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return nodes

    def _apply(self, path: str, body: dict[str, Any]) -> None:
        self._call("PATCH", path, {"fieldManager": self._field_manager, "force": "true"}, body, APPLY)

    def create(self, node: dict[str, Any]) -> None:
        # One server-side apply creates the Node with its status, as a kubelet registers.
        self._apply(f"/api/v1/nodes/{quote(node['metadata']['name'])}", node)

    def apply(self, node: dict[str, Any]) -> None:
        self._apply(f"/api/v1/nodes/{quote(node['metadata']['name'])}",
                    {k: v for k, v in node.items() if k != "status"})

    def apply_status(self, node: dict[str, Any]) -> None:
        name = node["metadata"]["name"]
        self._apply(f"/api/v1/nodes/{quote(name)}/status",
                    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "status": node["status"]})

    def delete(self, name: str) -> None:
        try:
            self._call("DELETE", f"/api/v1/nodes/{quote(name)}")
        except NodeHttpError as err:
            if err.status != 404:  # already gone: the goal is reached
                raise
