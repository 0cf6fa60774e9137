"""The GitHub workflows: actionlint (built from its pinned Go module) and yamllint clean,
actions pinned by commit, minimal permissions, fork-safe, one comment per pull request."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from clusterforge.stackfile import read_stack, stack_names
from tests.needs import missing

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _toolchain_bin() -> Path:
    # As scripts/toolchain.sh places it.
    cache = os.environ.get("CLUSTERFORGE_TOOLCHAIN_DIR") or \
        str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clusterforge" / "toolchain")
    return Path(cache) / "bin"


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the `on:` key as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def test_there_are_the_four_workflows():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "live-preview.yml", "pr-comment.yml", "pr-diff.yml"]


@pytest.fixture(scope="module")
def actionlint() -> Path:
    binary = _toolchain_bin() / "actionlint"
    if not binary.is_file():
        missing(f"actionlint not built at {binary} (run scripts/toolchain.sh actionlint)")
    return binary


def test_actionlint_is_clean(actionlint):
    if os.environ.get("CI") and shutil.which("shellcheck") is None:
        pytest.fail("CI: shellcheck is missing (.ci/apt-packages.txt); actionlint checks run: scripts with it")
    result = subprocess.run([str(actionlint), "-no-color", *map(str, WORKFLOWS)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - run: echo ${{ github.no_such_property }}\n")
    result = subprocess.run([str(actionlint), "-no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode == 1 and "no_such_property" in result.stdout


def test_yamllint_is_clean():
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    result = subprocess.run(["yamllint", "--strict", "-c", ".yamllint", ".github", "policy/PulumiPolicy.yaml"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(doc: dict):
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_with_their_version(path):
    uses = re.findall(r"uses:\s*(\S+)(.*)", path.read_text())
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{ref}: say which release the commit is"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_minimal(path):
    doc = _load(path)
    assert doc["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in doc["on"]
    for step in _steps(doc):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    writes = {name: job.get("permissions", {}) for name, job in doc["jobs"].items()}
    allowed = {"pr-comment.yml": {"comment": {"actions": "read", "pull-requests": "write"}},
               "live-preview.yml": {"preview": {"contents": "read", "pull-requests": "write"}}}
    for name, perms in writes.items():
        assert perms == allowed.get(path.name, {}).get(name, {}), (name, perms)


def test_offline_path_runs_pull_request_code_without_write_access():
    diff = _load(ROOT / ".github/workflows/pr-diff.yml")
    assert list(diff["on"]) == ["pull_request"]
    text = (ROOT / ".github/workflows/pr-diff.yml").read_text()
    for command in ("clusterforge render all", "clusterforge diff", "clusterforge policy all",
                    "clusterforge check all", "make test", "scripts/toolchain.sh actionlint"):
        assert command in text, command
    comment = _load(ROOT / ".github/workflows/pr-comment.yml")
    assert comment["on"] == {"workflow_run": {"workflows": [diff["name"]], "types": ["completed"]}}
    assert not any("checkout" in s.get("uses", "") for s in _steps(comment))
    script = next(s["with"]["script"] for s in _steps(comment) if "github-script" in s.get("uses", ""))
    from clusterforge.diff_markdown import MARKER

    assert f"'{MARKER}'" in script and "updateComment" in script and "pr.head.sha !== process.env.HEAD_SHA" in script


def _pulumi_steps(name: str) -> list[dict]:
    """The steps that run a Pulumi command (another pulumi/actions step only installs the CLI)."""
    return [s for s in _steps(_load(ROOT / ".github/workflows" / name))
            if s.get("uses", "").startswith("pulumi/actions@") and "command" in (s.get("with") or {})]


def test_the_cli_and_plugins_are_installed_at_the_pins_before_the_engine_runs():
    for name in ("live-preview.yml", "deploy.yml"):
        steps = list(_steps(_load(ROOT / ".github/workflows" / name)))
        install = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@")
                       and "command" not in (s.get("with") or {}))
        plugins = next(i for i, s in enumerate(steps) if s.get("run") == "scripts/pulumi-plugins")
        engine = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@")
                      and "command" in (s.get("with") or {}))
        assert install < plugins < engine
        assert steps[install]["with"]["pulumi-version"] == "${{ steps.pins.outputs.pulumi }}"
    listed = subprocess.run([str(ROOT / "scripts" / "pulumi-plugins"), "--list"], capture_output=True, text=True,
                            check=True).stdout.split("\n")
    from importlib.metadata import version

    for line in filter(None, listed):  # every plugin at the release its SDK package pins
        plugin, pinned = line.split()
        assert version(f"pulumi-{plugin}") == pinned, line


def test_live_preview_and_deploy_use_the_pinned_cli_and_the_policy_pack():
    pinned = re.search(r"^PULUMI_VERSION=v(\S+)$", (ROOT / "toolchain/versions.env").read_text(), re.M).group(1)
    for name, command in (("live-preview.yml", "preview"), ("deploy.yml", "up")):
        [step] = _pulumi_steps(name)
        w = step["with"]
        assert w["command"] == command and w["policyPacks"] == "policy"
        assert w["pulumi-version"] == "${{ steps.pins.outputs.pulumi }}"
        assert w["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        assert w["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
        pins = next(s for s in _steps(_load(ROOT / ".github/workflows" / name)) if s.get("id") == "pins")
        out = subprocess.run(["bash", "-c", pins["run"].replace('>> "$GITHUB_OUTPUT"', "")], cwd=ROOT,
                             capture_output=True, text=True).stdout
        assert out.strip() == f"pulumi={pinned}"
    assert _pulumi_steps("live-preview.yml")[0]["with"]["comment-on-pr"] is True


def test_preview_is_same_repository_only_and_deploy_is_gated():
    preview = _load(ROOT / ".github/workflows/live-preview.yml")
    assert preview["jobs"]["stacks"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    deploy = _load(ROOT / ".github/workflows/deploy.yml")
    assert deploy["jobs"]["up"]["environment"] == "stack-${{ matrix.stack }}"
    assert set(deploy["on"]) == {"push", "workflow_dispatch"}
    # issue 24: emulated stacks are not deployed from CI, so they are no choice either
    assert deploy["on"]["workflow_dispatch"]["inputs"]["stack"]["options"] == deployable()


def _matrix(name: str, chosen: str = "") -> subprocess.CompletedProcess:
    step = _load(ROOT / ".github/workflows" / name)["jobs"]["stacks"]["steps"][-1]
    env = {**os.environ, "GITHUB_OUTPUT": "/dev/stdout", "CHOSEN": chosen}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", step["run"]], cwd=ROOT, capture_output=True,
                          text=True, env=env)


def deployable() -> list[str]:
    """Stacks with machines somewhere (not kind or kwok), by the stack files as the program reads them."""
    return [s for s in stack_names() if read_stack(s).values["clusterforge:hosts"]["kind"] not in ("kind", "kwok")]


@pytest.mark.parametrize("name", ["live-preview.yml", "deploy.yml"])
def test_stack_matrix_lists_the_stacks_ci_may_deploy(name):
    # issue 24: the emulated stacks (kind, kwok) are left out; was every shipped stack
    assert deployable() == ["cloud", "datalab", "homelab", "onprem"]
    assert _matrix(name).stdout.strip() == "names=[" + ",".join(f'"{s}"' for s in deployable()) + "]"


def test_deploy_by_hand_takes_one_known_deployable_stack():
    assert _matrix("deploy.yml", "homelab").stdout.strip() == 'names=["homelab"]'
    refused = _matrix("deploy.yml", "nope")
    assert refused.returncode == 1 and "no stack nope" in refused.stdout
    for emulated in ("emulated", "emulated-kwok"):
        refused = _matrix("deploy.yml", emulated)
        assert refused.returncode == 1 and "not deployed from CI" in refused.stdout


@pytest.mark.parametrize("name,job", [("live-preview.yml", "preview"), ("deploy.yml", "up")])
def test_preview_and_deploy_run_on_the_stacks_own_self_hosted_runner(name, job):
    doc = _load(ROOT / ".github/workflows" / name)
    assert doc["jobs"][job]["runs-on"] == ["self-hosted", "clusterforge-${{ matrix.stack }}"]
    labels = yaml.safe_load((ROOT / ".github/actionlint.yaml").read_text())["self-hosted-runner"]["labels"]
    assert labels == ["clusterforge-*"]
    readme = (ROOT / "README.md").read_text()
    for stack in deployable():
        assert f"`clusterforge-{stack}`" in readme, f"README names no runner label for {stack}"
