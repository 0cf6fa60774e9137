"""No secret in a render: the homelab stack is rendered with every secret set to a known
value, and every generated value (random passwords, the salt key, the CA key) made known
by a test double of the providers; then every file, log line and output is scanned."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest

from clusterforge import mockrun
from clusterforge import render as render_module
from clusterforge.render import render_stack, summary
from clusterforge.stackfile import read_stack
from components.addons import ingress_secrets
from components.addons.ingress_secrets import ca_fingerprint
from tests.ssh_keys import ssh_key_pair

SSH_PRIVATE_KEY, SSH_PUBLIC_KEY = ssh_key_pair()
SECRET_CONFIG = {
    "dexAdminPassword": "known-dex-password-Zq81x",
    "dexGithubSecret": "known-connector-secret-Zq81x",
    "sshPrivateKey": SSH_PRIVATE_KEY,
    "proxmoxApiToken": "terraform@pve!cf=5f0c2a9e-7b1d-4c3e-9a8f-0d1e2f3a4b5c",
}
GENERATED = {
    "oauth2-proxy-client-secret": "knownClientSecretZq81xAAAAAAAAAAA",
    "oauth2-proxy-cookie-secret": "knownCookieSecretZq81xBBBBBBBBBBB",
    "grafana-admin": "knownGrafanaPasswordZq81xCCCCCCCC",
}
SALT_KEY = b"known-salt-key-Zq81x-0123456789ab"
CA_KEY = "-----BEGIN PRIVATE KEY-----\nknown-ca-key-Zq81x\n-----END PRIVATE KEY-----\n"
CA_CERT = "-----BEGIN CERTIFICATE-----\nknown-ca-cert-Zq81x\n-----END CERTIFICATE-----\n"


class KnownValues(mockrun.PreviewMocks):
    """Test double of the random and tls providers: what they would generate, made known."""

    def new_resource(self, args):
        resource_id, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = GENERATED[args.name]
        elif args.typ == "random:index/randomBytes:RandomBytes":
            state["base64"], state["hex"] = base64.b64encode(SALT_KEY).decode(), SALT_KEY.hex()
        elif args.typ == "tls:index/privateKey:PrivateKey":
            state["privateKeyPem"] = CA_KEY
        elif args.typ == "tls:index/selfSignedCert:SelfSignedCert":
            state["certPem"] = CA_CERT
        return resource_id, state


@pytest.fixture
def rendered(tmp_path, monkeypatch):
    hashes = []
    real_hash = ingress_secrets.password_hash

    def spy(*args):
        hashes.append(real_hash(*args))
        return hashes[-1]

    def with_secrets(name, root):
        stack = read_stack(name, root)
        stack.values["clusterforge:addons"]["dex"]["connectorSecrets"] = {"GH_SECRET": "dexGithubSecret"}
        stack.values["clusterforge:hosts"]["ssh"]["publicKeys"] = [SSH_PUBLIC_KEY]
        for key, value in SECRET_CONFIG.items():
            stack.values[f"clusterforge:{key}"] = value
            stack.secret_keys.add(f"clusterforge:{key}")
        return stack

    monkeypatch.setattr(mockrun, "PreviewMocks", KnownValues)
    monkeypatch.setattr(render_module, "read_stack", with_secrets)
    monkeypatch.setattr(ingress_secrets, "password_hash", spy)
    result = render_stack("homelab", tmp_path / "homelab")
    return result, hashes


def test_no_secret_reaches_any_render_file_log_or_output(rendered):
    result, hashes = rendered
    assert len(hashes) == 1 and hashes[0].startswith("$2b$12$")  # the hash was computed from the password
    secrets = [*SECRET_CONFIG.values(), *GENERATED.values(), CA_KEY.splitlines()[1], hashes[0], hashes[0][7:29],
               base64.b64encode(SALT_KEY).decode(), SALT_KEY.hex()]
    texts = {str(p): p.read_text() for p in result.out.rglob("*") if p.is_file()}
    texts["logs"] = "\n".join(message for _, message in result.recording.logs)
    texts["outputs"] = repr(result.recording.outputs)
    texts["summary"] = summary(result)
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, (secret, where)
        assert "$2b$" not in text, where
    # The scan sees real values: public ones flow into the render where they belong.
    everything = "".join(texts.values())
    assert "known-ca-cert-Zq81x" in everything and ca_fingerprint(CA_CERT) in everything


def test_secret_values_show_as_secret_where_they_are_used(rendered):
    result, _ = rendered
    releases = {r.name: r.inputs["values"] for r in result.recording.of_type(render_module.HELM_RELEASE)}
    assert mockrun.SECRET_TEXT not in json.dumps([releases["dex"], releases["oauth2-proxy"]])
    assert releases["istiod"]["jwksResolverExtraRootCA"] == CA_CERT  # public: the trust root
    [secret] = [o for o in result.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "dex-secrets"]
    assert secret["stringData"] == mockrun.SECRET_TEXT
    [secret] = [o for o in result.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "oauth2-proxy-credentials"]
    assert secret["stringData"] == mockrun.SECRET_TEXT


def test_ca_fingerprint_is_short_and_follows_the_certificate():
    assert ca_fingerprint(CA_CERT) == "ca-" + hashlib.sha256(CA_CERT.encode()).hexdigest()[:16]
    assert ca_fingerprint(CA_CERT) != ca_fingerprint(CA_CERT + "x")
