"""The real Pulumi CLI running this project's program, isolated and offline.

A workspace is what a user has after installing Pulumi and choosing a backend, made
throwaway: a copy of the project's tracked files (test stacks' config never lands in the
checkout) with the project's virtualenv; a PULUMI_HOME whose plugin cache is the
toolchain's (scripts/toolchain.sh installs every plugin there at its exact version); a
file backend and passphrase secrets in the workspace. Plugin downloads and update checks
are off for every run: without that the engine goes to the internet for a missing plugin.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from clusterforge import PROJECT_ROOT

# Set for every engine run here (and by the workflows): no download, no update check.
OFFLINE_ENV = {"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "PULUMI_SKIP_UPDATE_CHECK": "true"}
# The engine reads no ambient plugin from PATH: only the cache, at the exact version.
PASSPHRASE = "clusterforge-workspace"
TOOLCHAIN = PROJECT_ROOT / "scripts" / "toolchain.sh"
# Resource plugins the stacks previewed here use (pulumi_aws has no plugin built here: the
# cloud stack is not previewed by the engine); an emulated stack needs only KWOK_PLUGINS.
PLUGINS = ("command", "kubernetes", "random", "tls", "proxmoxve")
KWOK_PLUGINS = ("command", "kubernetes", "random")


class EngineError(Exception):
    pass


def _toolchain(flag: str) -> Path:
    out = subprocess.run([str(TOOLCHAIN), flag], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def toolchain_bin() -> Path:
    return _toolchain("--bin")


def plugin_cache() -> Path:
    """The toolchain's PULUMI_HOME: plugins/resource-NAME-vVERSION/ for each plugin built."""
    return _toolchain("--pulumi-home")


def missing_engine_parts(bin_dir: Path | None = None, home: Path | None = None,
                         plugins: tuple[str, ...] = PLUGINS) -> list[str]:
    """What the real engine needs (with `plugins`) and the toolchain has not built, in words."""
    bin_dir = bin_dir or toolchain_bin()
    home = home or plugin_cache()
    cli = bin_dir / "pulumi"
    # The CLI runs the language host found beside its own (resolved) binary.
    beside = Path(os.path.realpath(cli)).parent
    missing = [f"{b} in {beside}" for b in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec")
               if not os.access(beside / b, os.X_OK)]
    have = {p.name.split("-v")[0] for p in (home / "plugins").glob("resource-*-v*") if p.is_dir()}
    missing += [f"the {p} plugin in {home / 'plugins'}" for p in plugins if f"resource-{p}" not in have]
    return missing


def tracked_files(root: Path = PROJECT_ROOT) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    return [name for name in out.stdout.decode().split("\0") if name]


@dataclass
class Workspace:
    """One throwaway project directory, backend and PULUMI_HOME."""

    root: Path
    bin_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.root / "user"),
                "PULUMI_HOME": str(self.root / "pulumi-home"), "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "LANG": "C.UTF-8", **OFFLINE_ENV, **self.extra_env}

    def pulumi(self, *args: str, stdin: str | None = None, check: bool = True,
               timeout: float = 1800) -> subprocess.CompletedProcess:
        """`pulumi ARGS` in the project directory, as a user runs it."""
        out = subprocess.run([str(self.bin_dir / "pulumi"), "--non-interactive", *args], cwd=self.project,
                             env=self.env, input=stdin, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise EngineError(f"pulumi {' '.join(args)} exited {out.returncode}:\n{out.stdout[-4000:]}\n"
                              f"{out.stderr[-4000:]}")
        return out

    def set_config(self, stack: str, path: str, value, secret: bool = False) -> None:
        """`pulumi config set --path` (JSON for anything but a string, as the CLI reads it)."""
        args = ["config", "set", "--stack", stack, "--path", path]
        if not isinstance(value, str):
            args.append("--json")
            value = json.dumps(value)
        if secret:
            args.append("--secret")
        # The value goes on stdin: a secret never appears in a process list.
        self.pulumi(*args, stdin=value)

    def preview_json(self, stack: str, *extra: str) -> dict:
        out = self.pulumi("preview", "--stack", stack, "--json", *extra)
        return json.loads(out.stdout)


def create_workspace(root: Path | None = None, bin_dir: Path | None = None,
                     plugins: tuple[str, ...] = PLUGINS) -> Workspace:
    """A new workspace under `root` (a fresh temporary directory by default) whose stacks
    need `plugins`."""
    root = Path(root or tempfile.mkdtemp(prefix="clusterforge-engine-"))
    bin_dir = bin_dir or toolchain_bin()
    cache = plugin_cache()
    missing = missing_engine_parts(bin_dir, cache, plugins)
    if missing:
        raise EngineError(f"the real engine lacks {', '.join(missing)}; build it with scripts/toolchain.sh")
    ws = Workspace(root=root, bin_dir=bin_dir)
    for name in tracked_files():
        target = ws.project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target)
    # The project's virtualenv (Pulumi.yaml: virtualenv .venv), as `make setup` made it.
    (ws.project / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    for name in ("state", "user", "pulumi-home"):
        (root / name).mkdir(exist_ok=True)
    # Plugins are read from the toolchain's cache; nothing is installed per workspace.
    (root / "pulumi-home" / "plugins").symlink_to(cache / "plugins")
    return ws


class EngineStack:
    """A stack of the workspace: its stack file (what the CLI reads and `pulumi config set`
    writes, as in a user's checkout; edits are made there as a user makes them), runs of the
    CLI on it, its outputs and state, and `clusterforge render` of the very same file."""

    def __init__(self, ws: Workspace, name: str):
        self.ws, self.name = ws, name

    @property
    def file(self) -> Path:
        return self.ws.project / "stacks" / f"Pulumi.{self.name}.yaml"

    def init(self) -> None:
        self.ws.pulumi("stack", "init", self.name, "--secrets-provider", "passphrase")

    def config(self) -> dict:
        return yaml.safe_load(self.file.read_text())["config"]

    def edit(self, change) -> None:
        """change(config) edits the stack file's `config:` mapping in place, as a user would."""
        doc = yaml.safe_load(self.file.read_text())
        change(doc["config"])
        self.file.write_text(yaml.safe_dump(doc, sort_keys=False))

    def run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.ws.pulumi(*args, "--stack", self.name, **kw)

    def preview(self, *extra: str) -> dict:
        return self.ws.preview_json(self.name, *extra)

    def output(self, name: str) -> str:
        return self.run("stack", "output", name, "--show-secrets").stdout.rstrip("\n")

    def resources(self) -> list[dict]:
        state = json.loads(self.run("stack", "export").stdout)
        return state["deployment"].get("resources") or []

    def rendered_urns(self, out: Path) -> set[str]:
        """`clusterforge render` of this stack in the workspace's project, as plan.json lists it."""
        done = subprocess.run([str(self.ws.project / ".venv" / "bin" / "python"), "-m", "clusterforge.cli", "render",
                               self.name, "--out", str(out)], cwd=self.ws.project, capture_output=True, text=True,
                              timeout=900)
        if done.returncode != 0:
            raise EngineError(f"render {self.name}: {done.stdout}\n{done.stderr}")
        plan = json.loads((out / "plan.json").read_text())
        return {r["urn"] for r in plan["resources"]}


def _default_provider(urn: str) -> bool:
    """A provider the engine makes for resources that name none (`default_1_2_1`)."""
    _, _, kind, name = urn.split("::", 3)
    return kind.startswith("pulumi:providers:") and name.startswith("default")


def declared_urns(preview: dict) -> set[str]:
    """What a preview shows the program declaring: every step but the engine's default providers."""
    return {s["urn"] for s in preview.get("steps", []) if not _default_provider(s["urn"])}


def changed(preview: dict) -> dict[str, str]:
    """Resource name -> operation for every step that is not `same` or `read`."""
    return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in preview.get("steps", []) if s["op"] not in ("same", "read")}
