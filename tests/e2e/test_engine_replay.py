"""The real Pulumi engine and pulumi-kubernetes provider on the program's Kubernetes resources.

The emulated-kwok stack's Kubernetes resources (the KWOK stages, the monitoring namespace,
the kube-prometheus-stack release from the real upstream chart package, the dashboard
ConfigMap), replayed as a Pulumi YAML program (clusterforge.engine_replay) through the
real CLI, engine and provider against a real control plane: preview, up, a preview that
must show no changes, refresh, an edit, destroy. The cluster and its node groups come
from the program's own commands (clusterforge.kwok_live), as in test_kwok_e2e.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess

import pytest
import yaml

from clusterforge import PROJECT_ROOT
from clusterforge.engine_replay import yaml_program
from clusterforge.kwok_live import LiveStack, destroy, free_port, kwok_overrides, up
from clusterforge.mockrun import run_stack
from clusterforge.stackfile import read_stack
from tests import needs
from tests.e2e.waiting import wait_until

STACK = "emulated-kwok"
CHARTS = PROJECT_ROOT.parent / "shared" / "charts"
ENGINE_BINARIES = ("pulumi", "pulumi-language-yaml", "pulumi-resource-kubernetes")
# The Grafana admin Secret the program fills from a RandomPassword (the random provider
# cannot be built here): the replay takes the password from secret config instead.
GRAFANA = {"secret-monitoring-grafana-admin.stringData": {"admin-user": "admin",
                                                          "admin-password": "${grafanaAdminPassword}"}}


def _needs(kwok_bin):
    missing = [b for b in ENGINE_BINARIES if not os.access(kwok_bin / b, os.X_OK)]
    if not CHARTS.is_dir():
        missing.append(f"the upstream chart packages in {CHARTS}")
    if missing:
        needs.missing(f"the engine replay needs {', '.join(missing)} (scripts/toolchain.sh builds the binaries)")


def _config(kwok_bin, port: int, retention: str = "2d") -> dict:
    config = copy.deepcopy(read_stack(STACK).namespaced())
    for group in config["emulation"]["nodeGroups"]:
        for place in group["placement"]:
            place["replicas"] = 1 if group["name"] == "system" else 2
    config["hosts"] = kwok_overrides(config, kwok_bin, "cf-replay", port)
    config["addons"]["chartSource"] = {"directory": str(CHARTS)}
    config["addons"]["prometheus"]["retention"] = retention
    return config


def _render(config):
    return run_stack(STACK, {k: config[k] for k in ("hosts", "emulation", "addons")})


@pytest.fixture(scope="module")
def engine(kwok_bin, tmp_path_factory):
    _needs(kwok_bin)
    base = tmp_path_factory.mktemp("replay")
    port = free_port()
    config = _config(kwok_bin, port)
    rec = _render(config)
    live = LiveStack(workdir=base / "kwok", env={"KWOK_WORKDIR": str(base / "kwok")})
    up(live, rec)
    project = base / "project"
    project.mkdir()
    (base / "state").mkdir()
    env = {"PATH": f"{kwok_bin}:/usr/bin:/bin", "HOME": str(base), "PULUMI_HOME": str(base / "home"),
           "PULUMI_BACKEND_URL": f"file://{base / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "",
           "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}

    def pulumi(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(kwok_bin / "pulumi"), "--non-interactive", *args], cwd=project, env=env,
                             input=stdin, capture_output=True, text=True, timeout=1200)
        if check and out.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out

    def write(rec_now):
        program = yaml_program(rec_now, "clusterforge-replay", GRAFANA, ["grafanaAdminPassword"])
        (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=True))

    write(rec)
    pulumi("stack", "init", "replay", "--secrets-provider", "passphrase")
    pulumi("config", "set", "--secret", "kubeconfig", stdin=live.kubeconfig)
    pulumi("config", "set", "--secret", "grafanaAdminPassword", "replay-Grafana-0123456789")
    state = {"pulumi": pulumi, "write": write, "live": live, "rec": rec, "config": config, "port": port,
             "kwok_bin": kwok_bin}
    yield state
    pulumi("destroy", "--yes", "--skip-preview", check=False)
    destroy(live, state["rec"])


def _core(live):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config_dict(yaml.safe_load(live.kubeconfig)))


def _steps(preview_json: str) -> dict[str, str]:
    doc = json.loads(preview_json)
    return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in doc.get("steps", [])}


def test_preview_then_up(engine):
    pulumi = engine["pulumi"]
    steps = _steps(pulumi("preview", "--json").stdout)
    assert steps["kube-prometheus-stack"] == "create" and steps["monitoring"] == "create"
    pulumi("up", "--yes", "--skip-preview")
    core = _core(engine["live"])
    last: list = []

    def running():
        last[:] = core.list_namespaced_pod("monitoring").items
        return list(last) if last and all(p.status.phase == "Running" for p in last) else None

    pods = wait_until(running, 120, 2, lambda: str([(p.metadata.name, p.status.phase) for p in last]))
    nodes = {n.metadata.name: n.metadata.labels for n in core.list_node().items}
    exporters = [p for p in pods if p.metadata.name.startswith("kube-prometheus-stack-prometheus-node-exporter")]
    # One node-exporter per system node, none on the emulated GPU nodes.
    assert sorted(nodes[p.spec.node_name]["clusterforge.io/node-group"] for p in exporters) == ["system"] * 3
    assert all(nodes[p.spec.node_name]["clusterforge.io/node-group"] == "system" for p in pods)


def test_a_second_preview_and_a_refresh_show_no_changes(engine):
    engine["pulumi"]("preview", "--expect-no-changes")
    engine["pulumi"]("refresh", "--yes", "--expect-no-changes")


def test_an_edit_updates_only_the_release(engine):
    config = _config(engine["kwok_bin"], engine["port"], retention="3d")
    engine["write"](_render(config))
    steps = _steps(engine["pulumi"]("preview", "--json").stdout)
    changed = {name: op for name, op in steps.items() if op not in ("same", "read")}
    assert changed == {"kube-prometheus-stack": "update"}
    engine["pulumi"]("up", "--yes", "--skip-preview")
    release = json.loads(engine["pulumi"]("stack", "export").stdout)
    values = [r for r in release["deployment"]["resources"] if r["urn"].endswith("::kube-prometheus-stack")]
    assert values and '"3d"' in json.dumps(values[0]["inputs"])


def test_destroy_removes_what_the_engine_created(engine):
    engine["pulumi"]("destroy", "--yes", "--skip-preview")
    core = _core(engine["live"])
    names = {ns.metadata.name: ns.status.phase for ns in core.list_namespace().items}
    assert names.get("monitoring") in (None, "Terminating")
    export = json.loads(engine["pulumi"]("stack", "export").stdout)
    assert not [r for r in export["deployment"].get("resources") or [] if r["type"] != "pulumi:pulumi:Stack"]
