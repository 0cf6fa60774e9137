"""The node apply's HTTP requests, against a local fake API server that records them.

Both implementations send the same requests: KubeNodeApi (the kubernetes client, for any
kubeconfig) and HttpNodeApi (urllib3, for static credentials, which the command uses).
The fake (plain http.server, a test double at the network boundary) answers the few
Node endpoints the apply uses, so the real client code paths are exercised:
paging of list calls, server-side apply content type, field manager, force, status
subresource, and a 404 on delete counting as done.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from components.emulation.apply import FIELD_MANAGER, KubeNodeApi
from components.emulation.node_http import HttpNodeApi, supports

from .test_planner import spec_of


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *args):  # keep pytest output quiet
        pass

    def _record(self) -> dict:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        entry = {"method": self.command, "path": url.path, "query": parse_qs(url.query),
                 "content_type": self.headers.get("Content-Type"),
                 "auth": self.headers.get("Authorization"), "body": body}
        self.requests.append(entry)
        return entry

    def _reply(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        req = self._record()
        page = req["query"].get("continue", ["first"])[0]
        item = {"metadata": {"name": f"node-{page}", "labels": {}}}
        meta = {"continue": "second"} if page == "first" else {}
        self._reply(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": meta, "items": [item]})

    def do_PATCH(self):
        req = self._record()
        self._reply(200, {"kind": "Node", "apiVersion": "v1", "metadata": req["body"]["metadata"]})

    def do_DELETE(self):
        req = self._record()
        if req["path"].endswith("/gone"):
            self._reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                              "reason": "NotFound", "message": "not found"})
        else:
            self._reply(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})


@pytest.fixture()
def fake_server():
    _Handler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Handler.requests
    server.shutdown()


@pytest.fixture(params=["kubernetes-client", "urllib3"])
def node_api(request):
    """Each implementation, made from a kubeconfig."""
    if request.param == "urllib3":
        return lambda kubeconfig: HttpNodeApi(kubeconfig, FIELD_MANAGER)
    return KubeNodeApi


def test_static_credentials_take_the_light_client_and_others_the_kubernetes_client():
    assert supports(_kubeconfig("https://127.0.0.1:6443"))
    exec_user = _kubeconfig("https://127.0.0.1:6443")
    exec_user["users"][0]["user"] = {"exec": {"command": "kubelogin", "apiVersion": "client.authentication.k8s.io/v1"}}
    assert not supports(exec_user)


def _kubeconfig(server: str) -> dict:
    return {"apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": {"server": server}}],
            "users": [{"name": "test", "user": {"token": "test-token"}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}]}


def test_list_follows_continue_tokens_with_the_group_selector(fake_server, node_api):
    server, requests = fake_server
    nodes = node_api(_kubeconfig(server)).list_group("a100")
    assert [n["metadata"]["name"] for n in nodes] == ["node-first", "node-second"]
    assert [r["query"]["labelSelector"] for r in requests] == [["clusterforge.io/node-group=a100"]] * 2
    assert requests[1]["query"]["continue"] == ["second"]
    assert requests[0]["auth"] == "Bearer test-token"


def test_apply_is_server_side_apply_of_object_then_status(fake_server, node_api):
    server, requests = fake_server
    api = node_api(_kubeconfig(server))
    node = __import__("components.plan.emulation.nodes", fromlist=["group_nodes"]).group_nodes(spec_of({"use1": 1}))[0]
    api.apply(node)
    api.apply_status(node)
    obj, status = requests
    for req in (obj, status):
        assert req["method"] == "PATCH"
        assert req["content_type"] == "application/apply-patch+yaml"
        assert req["query"]["fieldManager"] == ["clusterforge"] and req["query"]["force"] == ["true"]
    assert obj["path"] == "/api/v1/nodes/a100-use1-0" and "status" not in obj["body"]
    assert obj["body"]["spec"]["providerID"] == "kwok://a100-use1-0"
    assert status["path"] == "/api/v1/nodes/a100-use1-0/status"
    assert status["body"]["status"]["capacity"]["nvidia.com/gpu"] == "8"


def test_create_is_one_server_side_apply_with_status(fake_server, node_api):
    server, requests = fake_server
    node = __import__("components.plan.emulation.nodes", fromlist=["group_nodes"]).group_nodes(spec_of({"use1": 1}))[0]
    node_api(_kubeconfig(server)).create(node)
    (req,) = requests
    assert req["method"] == "PATCH" and req["path"] == "/api/v1/nodes/a100-use1-0"
    assert req["content_type"] == "application/apply-patch+yaml"
    assert req["body"]["status"]["capacity"]["nvidia.com/gpu"] == "8"


def test_delete_treats_not_found_as_done(fake_server, node_api):
    server, requests = fake_server
    api = node_api(_kubeconfig(server))
    api.delete("gone")
    api.delete("a100-use1-0")
    assert [(r["method"], r["path"]) for r in requests] == [
        ("DELETE", "/api/v1/nodes/gone"), ("DELETE", "/api/v1/nodes/a100-use1-0")]


def test_the_command_pulumi_runs_applies_through_the_api(fake_server, tmp_path):
    """`python -m components.emulation.apply` as the Command runs it: stdin, env, stdout."""
    import os
    import subprocess
    import sys

    import yaml

    from clusterforge import PROJECT_ROOT

    server, requests = fake_server
    spec = spec_of({"use1": 3})
    env = {**os.environ, "CLUSTERFORGE_KUBECONFIG": yaml.safe_dump(_kubeconfig(server))}
    env.pop("PULUMI_COMMAND_STDOUT", None)
    proc = subprocess.run([sys.executable, "-m", "components.emulation.apply"], input=json.dumps(spec),
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == spec
    assert "3 to create" in proc.stderr
    # The kubeconfig never appears on a command line or in the output.
    assert "test-token" not in proc.stdout + proc.stderr
    patches = sorted(r["path"] for r in requests if r["method"] == "PATCH")
    # New nodes: one server-side apply each, status included.
    assert patches == sorted(f"/api/v1/nodes/a100-use1-{i}" for i in range(3))
    assert all("status" in r["body"] for r in requests if r["method"] == "PATCH")
