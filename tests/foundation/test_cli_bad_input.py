"""Every command on bad input: the documented exit code, a plain message, never a traceback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from clusterforge import diff as diff_module
from clusterforge import mockrun as mockrun_module
from clusterforge import render as render_module
from clusterforge.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEMU_FILE = ROOT / "tests" / "emulation" / "data" / "kemu-with-addons.yaml"


def _no_traceback(capsys) -> str:
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text, text
    return text


@pytest.fixture
def broken_cloud(monkeypatch):
    """The cloud stack with an invalid serviceCidr, as the renderer and the mock run read it."""
    original = render_module.read_stack

    def read(name, root):
        stack = original(name, root)
        if name == "cloud":
            stack.values["clusterforge:kubernetes"] = {**stack.values["clusterforge:kubernetes"],
                                                       "serviceCidr": "10.96.0.0/30"}
        return stack

    monkeypatch.setattr(render_module, "read_stack", read)
    monkeypatch.setattr(mockrun_module, "read_stack", read)  # what policy evaluates


def test_render_out_pointing_at_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    assert main(["render", "onprem", "--out", str(target)]) == 2
    assert "is a file, not a directory" in _no_traceback(capsys)
    assert target.read_text() == "keep me"


def test_render_all_reports_every_stack_and_finishes(tmp_path, capsys, broken_cloud):
    assert main(["render", "all", "--out", str(tmp_path)]) == 1
    text = _no_traceback(capsys)
    assert "stack cloud: the config has 1 problem(s)" in text
    assert "clusterforge:kubernetes.serviceCidr" in text
    for stack in ("emulated", "homelab", "onprem"):  # the stacks after a broken one still render
        assert f"stack {stack}: " in text and (tmp_path / stack / "plan.json").is_file()


def test_render_without_graphviz_says_it_skipped_the_picture(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert main(["render", "onprem", "--out", str(tmp_path / "r")]) == 0
    text = _no_traceback(capsys)
    assert "graph.svg skipped: Graphviz's `dot` is not installed" in text
    assert not (tmp_path / "r" / "graph.svg").exists() and (tmp_path / "r" / "graph.dot").is_file()


def test_successful_render_leaves_no_event_loop_open(tmp_path):
    run = subprocess.run([sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-m", "clusterforge.cli",
                          "render", "onprem", "--out", str(tmp_path / "r")],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert "event loop" not in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_check_on_an_unsupported_kubernetes_version_is_one_finding(crd_dir, capsys, monkeypatch):
    original = render_module.read_stack

    def newer(name, root):
        stack = original(name, root)
        stack.values["clusterforge:kubernetes"] = {**stack.values["clusterforge:kubernetes"], "version": "1.99.0"}
        return stack

    monkeypatch.setattr(render_module, "read_stack", newer)
    assert main(["check", "onprem", "--crd-schemas", str(crd_dir)]) == 1
    text = _no_traceback(capsys)
    assert text.count("1.99") == 1 and "1 finding(s)" in text


def _kubeconfig(path: Path, kind: str) -> Path:
    """A kubeconfig that is absent, malformed, or names a server nobody listens on."""
    if kind == "malformed":
        path.write_text("clusters: [\n")
    elif kind == "not a mapping":
        path.write_text("- just a list\n")
    elif kind == "unreachable":
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "x",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}]}))
    return path


@pytest.mark.parametrize("kubeconfig, wanted", [
    ("absent", "no such kubeconfig file"),
    ("malformed", "cannot use the cluster of kubeconfig"),
    ("not a mapping", "is not a kubeconfig mapping"),
    ("unreachable", "Connection refused"),
])
def test_check_server_with_an_unusable_kubeconfig_is_one_line_and_exit_2(kubeconfig, wanted, tmp_path, capsys):
    path = _kubeconfig(tmp_path / "kubeconfig", kubeconfig)
    assert main(["check", "emulated-kwok", "--server", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1, captured.err
    assert wanted in captured.err and f"--server {path}" in captured.err


def test_bench_e2e_without_the_toolchains_binaries_says_which_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLUSTERFORGE_TOOLCHAIN_DIR", str(tmp_path / "toolchain"))  # an empty toolchain
    assert main(["bench", "e2e"]) == 2
    text = _no_traceback(capsys)
    assert "bench e2e: missing" in text and "kwokctl" in text and "run scripts/toolchain.sh" in text
    assert '"error": "missing ' in text


def test_policy_on_bad_input(tmp_path, capsys, broken_cloud):
    bad = tmp_path / "policy.json"
    bad.write_text("{not json")
    assert main(["policy", "onprem", "--config", str(bad)]) == 2
    assert f"policy: --config {bad}" in _no_traceback(capsys)
    bad.write_text('{"no-such-policy": "mandatory"}')
    assert main(["policy", "onprem", "--config", str(bad)]) == 2
    assert "no-such-policy" in _no_traceback(capsys)
    assert main(["policy", "no-such-stack"]) == 2
    assert "no stack named 'no-such-stack'" in _no_traceback(capsys)
    assert main(["policy", "all"]) == 1  # the broken stack is reported, every other one checked
    text = _no_traceback(capsys)
    assert "stack cloud: the config has 1 problem(s); no policy ran" in text
    for stack in ("emulated", "emulated-kwok", "homelab", "onprem"):
        assert f"{stack}:" in text


def test_render_out_refusal_wins_over_every_stack(tmp_path, capsys):
    """17a's marker rule: a directory of other files is refused, once, and left as it was."""
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["render", "onprem", "--out", str(tmp_path)]) == 2
    assert "no .clusterforge-render marker" in _no_traceback(capsys)
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    assert main(["render", "all", "--out", str(target)]) == 2
    text = _no_traceback(capsys)
    assert text.count("--out") == 1 and "is a file" in text and target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "keep.txt"]


def test_objects_of_an_unsupported_version_give_one_finding():
    from clusterforge.validate import validate_objects

    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"n{i}"}} for i in range(5)]
    for version in ("1.99.0", "1.10.0"):
        [finding] = validate_objects(objects, version, None)
        assert finding.object == "all 5 objects" and "does not support" in finding.message


def test_check_all_reports_every_stack_and_finishes(crd_dir, capsys, broken_cloud):
    assert main(["check", "all", "--crd-schemas", str(crd_dir)]) == 1
    text = _no_traceback(capsys)
    for stack in ("cloud", "emulated", "homelab", "onprem"):
        assert f"check {stack}:" in text
    assert "clusterforge:kubernetes.serviceCidr" in text


def test_diff_of_a_missing_ref_or_stack_exits_2(capsys):
    assert main(["diff", "HEAD", "no-such-ref-anywhere", "--stack", "onprem"]) == 2
    assert "'no-such-ref-anywhere' is not a commit" in _no_traceback(capsys)
    assert main(["diff", "HEAD", "HEAD", "--stack", "no-such-stack"]) == 2
    assert "no stack named 'no-such-stack'" in _no_traceback(capsys)


def test_diff_with_an_invalid_config_at_a_ref_shows_the_findings_and_exits_2(tmp_path, capsys, monkeypatch):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    stack = clone / "stacks" / "Pulumi.onprem.yaml"
    doc = yaml.safe_load(stack.read_text())
    doc["config"]["clusterforge:kubernetes"]["serviceCidr"] = "10.96.0.0/30"
    stack.write_text(yaml.safe_dump(doc))
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "commit", "-qam", "broken service range"], check=True)
    monkeypatch.setattr(diff_module, "PROJECT_ROOT", clone)
    assert main(["diff", "HEAD~1", "HEAD", "--stack", "onprem"]) == 2
    text = _no_traceback(capsys)
    assert "does not render at HEAD" in text and "clusterforge:kubernetes.serviceCidr" in text


def test_diff_of_a_directory_without_a_valid_plan_exits_2(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "plan.json").write_text("{not json")
    (tmp_path / "b" / "plan.json").write_text("{}")
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "is not a render's plan" in _no_traceback(capsys)
    assert main(["diff", str(tmp_path), str(tmp_path / "b")]) == 2
    assert "plan.json not found" in _no_traceback(capsys)


def test_bench_render_reports_an_invalid_stack_and_benchmarks_the_rest(capsys, broken_cloud):
    assert main(["bench", "render"]) == 1
    text = _no_traceback(capsys)
    assert "cloud: not benchmarked, its config has 1 problem(s)" in text
    assert '"invalid_stacks": ["cloud"]' in text and '"onprem_resources"' in text


def test_bench_of_an_unknown_name_is_a_usage_error_listing_the_names(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["bench", "nope"])
    assert caught.value.code == 2
    assert "choose from" in capsys.readouterr().err


@pytest.mark.parametrize("command, wanted", [
    (["bench", "--help"], ["e2e", "emulation", "provision", "render"]),
    (["policy", "--help"], ["emulated-kwok", "{text,markdown}", "--config"]),
    (["check", "--help"], ["--server", "KUBECONFIG", "emulated-kwok"]),
    (["render", "--help"], ["homelab", "onprem", "'all'"]),
    (["diff", "--help"], ["{text,markdown}", "--markdown-out"]),
    (["experiment", "--help"], ["--copies", "how many Jobs", "--duration", "Go duration", "--gpu-type",
                                "workloads/distributed-gpu-job-no-affinity.yaml.tmpl"]),
    (["import-kemu", "--help"], ["--stack", "--kubernetes-version", "--force"]),
])
def test_help_lists_choices_and_meanings(command, wanted, capsys):
    with pytest.raises(SystemExit) as caught:
        main(command)
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for word in wanted:
        assert word in text, (word, text)


def test_import_kemu_refuses_unknown_keys_kemus_own_misspelt(tmp_path, capsys):
    typo = tmp_path / "kemu.yaml"
    typo.write_text(KEMU_FILE.read_text().replace("valuesObject:", "valueObject:"))
    assert main(["import-kemu", str(typo), "--stack", "kemu", "--root", str(tmp_path)]) == 1
    text = _no_traceback(capsys)
    assert "valueObject is not a KEMU field (did you mean 'valuesObject'?" in text
    assert not (tmp_path / "stacks" / "Pulumi.kemu.yaml").exists()
    extra = tmp_path / "extra.yaml"
    doc = yaml.safe_load(KEMU_FILE.read_text())
    doc["spec"]["kwokConfig"] = {}
    extra.write_text(yaml.safe_dump(doc))
    assert main(["import-kemu", str(extra), "--stack", "kemu", "--root", str(tmp_path)]) == 1
    assert "spec.kwokConfig is not a KEMU field" in _no_traceback(capsys)
    assert main(["import-kemu", str(tmp_path / "absent.yaml"), "--stack", "kemu", "--root", str(tmp_path)]) == 2
    assert main(["import-kemu", str(KEMU_FILE), "--stack", "../escape", "--root", str(tmp_path)]) == 2
    _no_traceback(capsys)


def test_import_kemu_uses_the_projects_pinned_defaults():
    from clusterforge import kemu_import
    from components.config.addons import PrometheusConfig
    from components.config.kind_cluster import KIND_KUBERNETES_VERSION

    doc = yaml.safe_load(KEMU_FILE.read_text())
    del doc["spec"]["clusterAddons"][1]["version"]
    stack, notes = kemu_import.convert(doc, "kemu")
    config = stack["config"]
    assert config["clusterforge:kubernetes"]["version"] == KIND_KUBERNETES_VERSION
    assert config["clusterforge:hosts"]["kindCluster"]["nodeImage"] == f"kindest/node:v{KIND_KUBERNETES_VERSION}"
    assert config["clusterforge:addons"]["prometheus"]["version"] == PrometheusConfig().version
    assert any("pinned kube-prometheus-stack" in n for n in notes)


@pytest.mark.parametrize("kubeconfig, wanted", [
    ("absent", "does not exist"),
    ("malformed", "cannot use the cluster of kubeconfig"),
    ("unreachable", "Connection refused"),
])
def test_experiment_with_an_unusable_kubeconfig_exits_2(kubeconfig, wanted, tmp_path, capsys):
    path = _kubeconfig(tmp_path / "kubeconfig", kubeconfig)
    assert main(["experiment", str(path), "--copies", "1", "--timeout", "1"]) == 2
    assert wanted in _no_traceback(capsys)


@pytest.mark.parametrize("option", [["--copies", "-1"], ["--workers", "0"], ["--gpus", "-2"], ["--timeout", "-5"],
                                    ["--cpu", "lots"], ["--memory", "-1Gi"], ["--duration", "10 minutes"],
                                    ["--gpu-type", "not a label!"], ["--namespace", "Bad_NS"]])
def test_experiment_refuses_bad_options(option, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["experiment", "kubeconfig", *option])
    assert caught.value.code == 2
    assert f"argument {option[0]}" in capsys.readouterr().err


def test_setup_works_for_a_user_who_is_not_root_without_graphviz():
    """scripts/setup.sh as `nobody` on a machine without Graphviz: it says so and goes on."""
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:  # pytest's own tmp is root's only
        _setup_as_nobody(Path(tmp))


def _setup_as_nobody(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", checkout / "scripts" / "setup.sh")
    shutil.copy(ROOT / "requirements.txt", checkout / "requirements.txt")
    venv = checkout / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("#!/bin/sh\nexit 0\n")  # a virtualenv already set up
    (venv / "python").chmod(0o755)
    shutil.copy(ROOT / "requirements.txt", checkout / ".venv" / ".installed")
    fake_bin = tmp_path / "bin"  # a test double for dpkg: graphviz is not installed
    fake_bin.mkdir()
    (fake_bin / "dpkg").write_text('#!/bin/sh\n[ "$2" != graphviz ]\n')
    (fake_bin / "dpkg").chmod(0o755)
    for path in (tmp_path, checkout, *checkout.rglob("*")):
        os.chown(path, 65534, 65534)
    run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash",
                          str(checkout / "scripts" / "setup.sh")], capture_output=True, text=True,
                         env={"PATH": f"{fake_bin}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert "not root, so these Debian packages stay missing: graphviz" in run.stderr
    assert "skipped graph.svg" in run.stderr
