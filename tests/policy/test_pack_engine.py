"""The policy pack as the Pulumi engine runs it: its own process, spoken to over the
analyzer gRPC protocol (the engine's side of `--policy-pack`), fed the shipped stacks'
resources the way the engine marshals them (unknowns as the engine's sentinels, secrets
wrapped). The real CLI runs the pack on real previews in tests/e2e; here each policy's
verdicts are driven resource by resource.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from clusterforge.mockrun import SECRET_TEXT, UNKNOWN_TEXT, run_stack
from clusterforge.policy_run import POLICY_DIR
from clusterforge_policy.catalog import POLICIES
from clusterforge_policy.engine import INPUTS_POLICY

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def _wire(value):
    """A plan value as the engine marshals it (KeepUnknowns, KeepSecrets)."""
    if value == UNKNOWN_TEXT:
        return UNKNOWN_STRING_VALUE
    if value == SECRET_TEXT:
        return {**SECRET_SIG, "value": "a-secret-value"}
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _resources(stack: str, extra=()):
    out = []
    for r in [*run_stack(stack).resources, *extra]:
        props = struct_pb2.Struct()
        props.update(_wire(r.inputs))
        opts = analyzer_pb2.AnalyzerResourceOptions(additionalSecretOutputs=r.options.get("additionalSecretOutputs", []),
                                                    parent=r.parent)
        out.append(analyzer_pb2.AnalyzerResource(urn=r.urn, type=r.type, name=r.name, properties=props,
                                                 options=opts, parent=r.parent, dependencies=r.dependencies))
    return out


class Pack:
    def __init__(self, stack: str, hosts_kind: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PULUMI_PROJECT": "clusterforge", "PULUMI_STACK": stack,
               "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": json.dumps({"clusterforge:hosts": json.dumps({"kind": hosts_kind})})}
        self.proc = subprocess.Popen([sys.executable, "__main__.py"], cwd=POLICY_DIR, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        port = self.proc.stdout.readline().strip()
        if not port.isdigit():
            self.close()
            pytest.fail(f"the policy pack did not start: {self.proc.stderr.read()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def analyze(self, stack: str, extra=()):
        return self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=_resources(stack, extra))).diagnostics

    def first_preview(self, stack: str, inputs_seen: bool = True):
        """As the engine runs a first preview: each resource analyzed with its inputs as it is
        stepped, then the stack with outputs nobody knows yet (no cluster exists)."""
        resources = _resources(stack)
        if inputs_seen:
            for r in resources:
                self.stub.Analyze(analyzer_pb2.AnalyzeRequest(urn=r.urn, type=r.type, name=r.name,
                                                              properties=r.properties, options=r.options))
        for r in resources:
            r.properties.Clear()
        return self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)).diagnostics

    def close(self):
        if getattr(self, "channel", None):
            self.channel.close()
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def pack_factory():
    packs = []

    def start(stack, hosts_kind):
        packs.append(Pack(stack, hosts_kind))
        return packs[-1]
    yield start
    for p in packs:
        p.close()


def test_pack_lists_every_policy_mandatory(pack_factory):
    info = pack_factory("homelab", "proxmox").stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "clusterforge" and info.supportsConfig
    assert sorted(p.name for p in info.policies) == sorted([INPUTS_POLICY, *(p.name for p in POLICIES)])
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


@pytest.mark.parametrize("stack, hosts_kind", [("homelab", "proxmox"), ("onprem", "existing"),
                                               ("cloud", "aws"), ("emulated", "kind"), ("emulated-kwok", "kwok")])
def test_shipped_stacks_pass_under_the_engine_protocol(pack_factory, stack, hosts_kind):
    diagnostics = pack_factory(stack, hosts_kind).analyze(stack)
    assert [(d.policyName, d.message) for d in diagnostics] == []


def test_a_first_preview_is_judged_on_the_declared_inputs(pack_factory):
    """Before a cluster exists its objects have no outputs; the rules read what the program declared."""
    assert list(pack_factory("onprem", "existing").first_preview("onprem")) == []
    # Without the inputs the same outputs-only view finds unpinned charts: the inputs are what passes it.
    blind = pack_factory("onprem", "existing").first_preview("onprem", inputs_seen=False)
    assert "helm-release-pinned" in {d.policyName for d in blind}


def test_kwok_on_a_stack_not_marked_emulated_is_refused(pack_factory):
    # The same emulated resources, but the stack config the engine passes says proxmox.
    diagnostics = pack_factory("emulated", "proxmox").analyze("emulated")
    assert {d.policyName for d in diagnostics} == {"kwok-only-on-emulated-stacks"}
    assert {d.enforcementLevel for d in diagnostics} == {analyzer_pb2.MANDATORY}
    assert len(diagnostics) == 3 and all(d.urn.endswith(("a2-ultragpu-8g", "a3-highgpu-8g", "a3-ultragpu-8g"))
                                         for d in diagnostics)


def _floating_release():
    """A chart with a version range, after the CNI like every addon: one policy objects."""
    from clusterforge.mockrun import Registration

    cni = next(r for r in run_stack("homelab").resources
               if r.type == "kubernetes:helm.sh/v3:Release" and r.name == "tigera-operator")
    return Registration(urn="urn:pulumi:homelab::clusterforge::kubernetes:helm.sh/v3:Release::floating",
                        type="kubernetes:helm.sh/v3:Release", name="floating", parent="", custom=True,
                        dependencies=[cni.urn], inputs={"chart": "floating", "version": "^1.0.0"})


def test_each_policy_level_is_configurable(pack_factory):
    pack = pack_factory("homelab", "proxmox")
    [mandatory] = pack.analyze("homelab", [_floating_release()])
    assert mandatory.policyName == "helm-release-pinned" and mandatory.enforcementLevel == analyzer_pb2.MANDATORY
    assert "^1.0.0" in mandatory.message
    pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        "helm-release-pinned": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.ADVISORY)}))
    [advisory] = pack.analyze("homelab", [_floating_release()])
    assert advisory.enforcementLevel == analyzer_pb2.ADVISORY
    pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        "helm-release-pinned": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.DISABLED)}))
    assert list(pack.analyze("homelab", [_floating_release()])) == []
