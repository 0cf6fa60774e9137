"""Evaluate the real Pulumi program under the SDK's mock runtime and record it.

This is how `render`, `check` and the tests see the program: `__main__.py` runs exactly
as under `pulumi preview`, but every resource registration goes to a recording monitor
instead of the engine. Values that only exist after deployment (an address a cloud
assigns, a kubeconfig a command prints) stay unknown, as in a preview, and are shown
as `(known after apply)`; secret values are shown as `[secret]`.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func

from clusterforge import PROJECT_ROOT
from clusterforge.stackfile import StackFile, apply_overrides, prepare_offline, read_stack

UNKNOWN_TEXT = "(known after apply)"
SECRET_TEXT = "[secret]"

# Outputs each provider computes at apply time; in a preview they are unknown.
COMPUTED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "command:local:Command": ("stdout", "stderr"),
    "kubernetes:core/v1:Secret": ("data",),  # a token Secret's data is the controller's
    "command:remote:Command": ("stdout", "stderr"),
    "proxmoxve:index/vmLegacy:VmLegacy": ("ipv4Addresses", "macAddresses", "networkInterfaceNames"),
    "proxmoxve:download/file:File": ("size",),
    "aws:ec2/instance:Instance": ("privateIp", "publicIp", "arn", "privateDns"),
    "aws:ec2/eip:Eip": ("publicIp", "allocationId", "arn", "publicDns"),
    "aws:ec2/vpc:Vpc": ("arn", "defaultSecurityGroupId"),
    "aws:ec2/subnet:Subnet": ("arn",),
    "aws:ec2/securityGroup:SecurityGroup": ("arn",),
    "aws:ec2/keyPair:KeyPair": ("arn", "fingerprint"),
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyOpenssh", "publicKeyOpenssh", "publicKeyPem"),
    "tls:index/selfSignedCert:SelfSignedCert": ("certPem",),
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "random:index/randomId:RandomId": ("hex", "b64Url"),
    "random:index/randomBytes:RandomBytes": ("base64", "hex"),
}


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    provider: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    # The resource transforms its options declare (callables; the engine runs them on its
    # children, the mock runtime does not): tests call them.
    transforms: list[Any] = field(default_factory=list, repr=False, compare=False)


@dataclass
class Recording:
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    config: StackFile
    # (level, message) of what the program logged, e.g. parts not built yet.
    logs: list[tuple[str, str]] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Registration:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)


class DuplicateUrnError(Exception):
    """Two registrations with one URN: a real `pulumi up` refuses the whole program."""

    def __init__(self, stack: str, urns: list[str]):
        self.urns = urns
        super().__init__(f"stack {stack}: {len(urns)} resource URN(s) registered more than once "
                         f"(the engine refuses duplicates): {', '.join(urns)}")


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine gives a resource: its type qualified by every ancestor's type
    (joined by `$`, the root stack left out), so `pulumi state` and `--target` accept it."""
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != ROOT_STACK_TYPE:
            type_ = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _plain(value: Any) -> Any:
    """A JSON-shaped copy of a wire value with secrets and unknowns made visible."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET_TEXT
        if sig == rpc._special_resource_sig:
            return value.get("urn", "")
        if sig == rpc._special_asset_sig or sig == rpc._special_archive_sig:
            return {k: _plain(v) for k, v in value.items() if k != rpc._special_sig_key}
        if sig == rpc._special_output_value_sig:
            if value.get("secret"):
                return SECRET_TEXT
            return _plain(value["value"]) if "value" in value else UNKNOWN_TEXT
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping what each registration asked for."""

    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.duplicates: list[str] = []
        self._seen: set[str] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The SDK's mock qualifies a type by its parent's last type only; the engine uses all.
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def _claim(self, urn: str) -> None:
        if urn in self._seen:
            self.duplicates.append(urn)
        self._seen.add(urn)

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self._claim(response.urn)
        return response

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self._claim(response.urn)
        if request.type == ROOT_STACK_TYPE:
            self.registrations.append(Registration(
                urn=response.urn, type=request.type, name=request.name, parent="",
                custom=False, dependencies=[], inputs={}))
            return response
        options = {}
        if request.ignoreChanges:
            options["ignoreChanges"] = sorted(request.ignoreChanges)
        if request.additionalSecretOutputs:
            options["additionalSecretOutputs"] = sorted(request.additionalSecretOutputs)
        if request.protect:
            options["protect"] = True
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        if request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = True
        if request.deletedWith:
            options["deletedWith"] = request.deletedWith
        if request.replaceOnChanges:
            options["replaceOnChanges"] = sorted(request.replaceOnChanges)
        if request.transforms:
            options["transforms"] = len(request.transforms)
        if request.aliases:
            options["aliases"] = sorted(a.urn or a.spec.name for a in request.aliases)
        if request.HasField("customTimeouts") and (request.customTimeouts.create or request.customTimeouts.update):
            options["customTimeouts"] = {"create": request.customTimeouts.create,
                                         "update": request.customTimeouts.update,
                                         "delete": request.customTimeouts.delete}
        self.registrations.append(Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            dependencies=sorted(set(request.dependencies)),
            inputs=_plain(json_format.MessageToDict(request.object)),
            provider=request.provider.split("::")[-2] if request.provider else "",
            options=options,
            transforms=pulumi_mocks._resolve_callbacks(request.transforms),
        ))
        return response


READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


class PreviewMocks(pulumi_mocks.Mocks):
    """Resources echo their inputs; outputs computed at apply time stay unknown.

    The stack's own saved outputs (what the engine's readStackOutputs returns from the
    last checkpoint) are `previous_outputs`: none, as for a new stack, unless a test
    stands in a previous deployment.
    """

    def __init__(self, previous_outputs: dict[str, Any] | None = None):
        self.previous_outputs = previous_outputs or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (token, arguments) of every invoke

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = dict(args.inputs)
        for key in COMPUTED_OUTPUTS.get(args.typ, ()):
            state.setdefault(key, rpc.UNKNOWN)
        # As in a preview of a new stack: the provider assigns IDs at apply time.
        return "", state

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:ec2/getAmi:getAmi":  # offline no image is found: its ID shows as unknown
            return {"id": UNKNOWN_TEXT}
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": ["zone-a", "zone-b", "zone-c"]}
        if args.token == READ_STACK_OUTPUTS:
            return {"name": args.args["name"], "outputs": self.previous_outputs, "secretOutputNames": []}
        return {}


async def _resolve_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name, value in sorted(outputs.items()):
        out = pulumi.Output.from_input(value)
        known = await out.is_known()
        secret = await out.is_secret()
        if secret:
            resolved[name] = SECRET_TEXT
        elif not known:
            resolved[name] = UNKNOWN_TEXT
        else:
            resolved[name] = _plain(await out.future())
    return resolved


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.records.append((record.levelname.lower(), record.getMessage()))


class _LoopsClosed(asyncio.DefaultEventLoopPolicy):
    """Records every event loop made while the program runs, so all are closed after it.

    The SDK's mock monitor makes one per executor thread it deserializes in
    (`_ensure_event_loop`) and never closes them; unclosed, each one prints
    "unclosed event loop" when it is collected after an otherwise clean render.
    """

    def __init__(self):
        super().__init__()
        self.loops: list[asyncio.AbstractEventLoop] = []

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self.loops.append(loop)
        return loop

    def close_all(self) -> None:
        for loop in self.loops:
            if not loop.is_closed() and not loop.is_running():
                loop.close()


class ProgramRefused(Exception):
    """The program stopped with a RunError (it logged why); `recording` holds what it did first."""

    def __init__(self, message: str, recording: "Recording"):
        super().__init__(message)
        self.recording = recording

    def errors(self) -> list[str]:
        return [message for level, message in self.recording.logs if level == "error"]


def _evaluate(stack: StackFile, program: Path, mocks: pulumi_mocks.Mocks) -> Recording:
    monitor = RecordingMonitor(mocks)
    collect = _Collect()
    logger = logging.getLogger(f"clusterforge.program.{id(collect)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(collect)
    previous_policy = asyncio.get_event_loop_policy()
    policy = _LoopsClosed()
    asyncio.set_event_loop_policy(policy)
    loop = asyncio.new_event_loop()  # a fresh loop per evaluation (pulumi#24338)
    asyncio.set_event_loop(loop)
    try:
        pulumi_mocks.set_mocks(mocks, project="clusterforge", stack=stack.name,
                               preview=True, monitor=monitor, logger=logger)
        set_all_config(stack.pulumi_config(), sorted(stack.secret_keys))
        root_dir = str(program.parent)
        sys.path.insert(0, root_dir)
        try:
            loop.run_until_complete(run_pulumi_func(
                lambda: runpy.run_path(str(program), run_name="__main__")))
        except pulumi.RunError as err:
            raise ProgramRefused(str(err), Recording(stack=stack.name, resources=monitor.registrations,
                                                     outputs={}, config=stack, logs=collect.records)) from None
        finally:
            sys.path.remove(root_dir)
        root = pulumi.runtime.settings.get_root_resource()
        outputs = loop.run_until_complete(_resolve_outputs(getattr(root, "outputs", {})))
    finally:
        # Join the executor threads first: their loops are idle once they have ended.
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)
        policy.close_all()
        asyncio.set_event_loop_policy(previous_policy)
        logger.removeHandler(collect)
    if monitor.duplicates:
        raise DuplicateUrnError(stack.name, sorted(set(monitor.duplicates)))
    return Recording(stack=stack.name, resources=monitor.registrations, outputs=outputs,
                     config=stack, logs=collect.records)


def run_prepared(stack_file: StackFile, root: Path = PROJECT_ROOT,
                 mocks: pulumi_mocks.Mocks | None = None,
                 previous_outputs: dict[str, Any] | None = None) -> Recording:
    """`mocks` stand in for the providers (default: PreviewMocks, as in a preview);
    `previous_outputs` for the stack's last deployment (default: none, a new stack)."""
    # A fresh context: the SDK keeps its settings, config and root stack in context vars.
    return contextvars.Context().run(_evaluate, stack_file, root / "__main__.py",
                                     mocks or PreviewMocks(previous_outputs))


def run_stack(stack: str, overrides: dict[str, Any] | None = None,
              root: Path = PROJECT_ROOT, mocks: pulumi_mocks.Mocks | None = None,
              previous_outputs: dict[str, Any] | None = None) -> Recording:
    """Evaluate `root/__main__.py` for `stack` (with whole top-level keys overridden).

    Secrets the stack needs but does not set get placeholders, as in `render`.
    `previous_outputs` stands in the outputs the stack's last deployment saved.
    """
    stack_file = apply_overrides(read_stack(stack, root), overrides)
    prepare_offline(stack_file)
    return run_prepared(stack_file, root, mocks, previous_outputs)
