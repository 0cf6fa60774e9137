"""The consuming systems' rules, ported: each against cases the upstream projects document."""
from __future__ import annotations


import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given
from hypothesis import strategies as st

from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack
from components.config.kubernetes import DEFAULT_KUBERNETES_VERSION
from components.config import ConfigError
from components.plan.load import load_stack
from tests.needs import missing
from components.config import k8s_names as names
from components.plan.rules import versions
from components.config.k8s_values import is_go_duration, parse_quantity
from components.config.secrets import private_key_findings, proxmox_token_findings
from components.plan.rules.trust import pgp_public_key_errors

CHARTS = Path(__file__).resolve().parents[2] / "shared" / "charts"


# apimachinery's validation_test.go cases (valid, then invalid).
@pytest.mark.parametrize("value, ok", [
    ("a", True), ("ab", True), ("a-b", True), ("0", True), ("1-2", True), ("a" * 63, True),
    ("", False), ("A", False), ("-", False), ("a-", False), ("-a", False), ("1 ", False), ("a.b", False),
    ("a" * 64, False), ("a_b", False),
])
def test_dns1123_label(value, ok):
    assert (names.dns1123_label_errors(value) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("a.b.c", True), ("11.22.33", True), ("a-1.b-2", True), ("a" * 253, True), ("a" * 254, False),
    ("a..b", False), ("a.", False), (".a", False), ("A.b", False), ("a_b.c", False), ("a." + "b" * 252, False),
])
def test_dns1123_subdomain(value, ok):
    assert (names.dns1123_subdomain_errors(value) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("simple", True), ("now-with-dashes", True), ("1-starts-with-num", True), ("1234", True),
    ("simple/simple", True), ("now-with-dashes/simple", True), ("1-num.2-num/3-num", True),
    ("UpperCaseAreOK123", True), ("prefix/" + "a" * 63, True), ("example.com/Under_Score", True),
    ("nospecialchars%^=@", False), ("cantendwithadash-", False), ("-cantstartwithadash-", False),
    ("only/one/slash", False), ("Example.com/abc", False), ("example_com/user", False), ("/simple", False),
    ("a" * 64, False), ("prefix/", False), ("a..b/c", False),
])
def test_qualified_names_as_the_api_server_checks_label_keys(value, ok):
    assert (names.qualified_name_errors(value) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("", True), ("simple", True), ("now-with-dashes", True), ("1-starts-with-num", True), ("end-with-num-1", True),
    ("1234", True), ("a" * 63, True), ("a" * 64, False), ("-starts-with-dash", False), ("ends-with-dash-", False),
    (".starts.with.dot", False), ("ends.with.dot.", False), ("a,b", False), ("a=b", False), ("spaces no", False),
])
def test_label_values(value, ok):
    assert (names.label_value_errors(value) == []) is ok


def test_annotations_are_limited_to_256_kib_in_all():
    assert names.annotations_errors({"note": "x" * 1000}) == []
    [error] = names.annotations_errors({"a": "x" * 200_000, "b": "y" * 100_000})
    assert "more than 262144 bytes in all" in error


@pytest.mark.parametrize("san, ok", [("10.0.0.1", True), ("k8s.example.com", True), ("*.example.com", True),
                                     ("localhost", True), ("*.*.example.com", False), ("Upper.example", False),
                                     ("k8s_api.example", False)])
def test_cert_sans_as_kubeadm_checks_them(san, ok):
    assert (names.cert_san_errors(san) == []) is ok


@pytest.mark.parametrize("text, ok", [("96", True), ("1360Gi", True), ("500m", True), ("1e3", True), ("0.5", True),
                                      ("1_000", False), ("NaN", False), ("Infinity", False), ("1K", False),
                                      (" 1", False), ("+1", False), ("1ki", False)])
def test_quantities_follow_the_api_servers_grammar_and_the_clients_value(text, ok):
    if ok:
        from kubernetes.utils import parse_quantity as client_value

        assert parse_quantity(text) == client_value(text)
    else:
        with pytest.raises(ValueError, match="not a Kubernetes quantity"):
            parse_quantity(text)


@pytest.mark.parametrize("text, ok", [("10m", True), ("1h30m", True), ("90s", True), ("0", True), ("1.5h", True),
                                      ("300ms", True), ("10", False), ("10 m", False), ("1d", False), ("", False)])
def test_go_durations(text, ok):
    assert is_go_duration(text) is ok


@pytest.mark.parametrize("version, constraint, ok", [
    ("1.36.2", ">=1.25.0-0", True), ("1.24.9", ">=1.25.0-0", False), ("1.36.2", ">= 1.19.0-0", True),
    ("1.36.2", "^1.8.0-0", True), ("2.0.0", "^1.8.0-0", False), ("1.30.4", "~1.30", True), ("1.31.0", "~1.30", False),
    ("1.30.5", "1.30.x", True), ("1.31.0", ">=1.20, <1.31", False), ("1.30.0", ">=1.20 <1.31", True),
    ("1.32.9", "1.20 - 1.32", True), ("1.33.0", "1.20 - 1.32", False), ("1.36.0", "<1.20 || >=1.35", True),
    ("0.2.5", "^0.2.3", True), ("0.3.0", "^0.2.3", False), ("1.33.0", ">1.32", True), ("1.32.5", ">1.32", False),
])
def test_helm_kube_version_constraints(version, constraint, ok):
    assert versions.satisfies(version, constraint) is ok


def test_a_chart_whose_kube_version_excludes_the_pinned_version_is_a_finding(monkeypatch):
    monkeypatch.setitem(versions.CHART_KUBE_VERSIONS, ("reloader", "2.2.3"), ">=1.20.0-0 <1.33.0-0")
    monkeypatch.setitem(versions.CHART_KUBE_VERSIONS, ("metallb", "0.15.2"), "~1.30")
    with pytest.raises(ConfigError) as caught:
        prepare_offline(read_stack("homelab"))
    assert sorted(f.path for f in caught.value.findings) == ["addons.charts[0].version", "addons.metallb.version"]
    assert ("requires Kubernetes ~1.30 (its Chart.yaml kubeVersion); the stack pins "
            f"{DEFAULT_KUBERNETES_VERSION}") in str(caught.value)


def test_the_kube_version_table_is_what_the_charts_declare():
    packages = sorted(CHARTS.glob("*.tgz"))
    if not packages:
        missing(f"upstream chart packages not found at {CHARTS}")
    for package in packages:
        with tarfile.open(package) as tar:
            top = tar.getnames()[0].split("/")[0]
            chart = yaml.safe_load(tar.extractfile(f"{top}/Chart.yaml"))
        key = (chart["name"], str(chart["version"]))
        assert key in versions.CHART_KUBE_VERSIONS, key
        assert versions.CHART_KUBE_VERSIONS[key] == chart.get("kubeVersion"), key


def test_the_prometheus_duration_pattern_is_the_operators(tmp_path):
    from components.config.k8s_values import PROMETHEUS_DURATION_FMT

    package = CHARTS / "kube-prometheus-stack-77.6.2.tgz"
    if not package.is_file():
        missing(f"{package} not found")
    with tarfile.open(package) as tar:
        member = next(n for n in tar.getnames() if n.endswith("crd-prometheuses.yaml"))
        crd = yaml.safe_load(tar.extractfile(member))
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert schema["retention"]["pattern"] == PROMETHEUS_DURATION_FMT


def _key(passphrase: bytes | None = None) -> tuple[str, str]:
    private = ed25519.Ed25519PrivateKey.generate()
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption).decode()
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    return pem, public + " me@laptop"


def test_ssh_private_key_is_checked_for_what_it_claims():
    pem, public = _key()
    assert private_key_findings("sshPrivateKey", pem, [public]) == []
    assert private_key_findings("sshPrivateKey", pem, []) == []
    [mismatch] = private_key_findings("sshPrivateKey", pem, [_key()[1]])
    assert "matches none of hosts.ssh.publicKeys" in mismatch.message
    [locked] = private_key_findings("sshPrivateKey", _key(b"pw")[0], [])
    assert "passphrase" in locked.message
    [garbage] = private_key_findings("sshPrivateKey", "not a key", [])
    assert "not an SSH private key" in garbage.message and "pulumi config set --secret" in garbage.fix
    for finding in (mismatch, locked, garbage):
        assert pem not in str(finding)


def test_proxmox_token_shape():
    assert proxmox_token_findings("t", "terraform@pve!clusterforge=0b5c1e6f-4d0a-5b7e-9a57-6b7775636c75") == []
    [bad] = proxmox_token_findings("t", "0b5c1e6f-4d0a-5b7e-9a57-6b7775636c75")
    assert "user@realm!tokenid=uuid" in bad.message


def test_a_secret_that_is_not_key_material_stops_the_render_before_any_resource(tmp_path):
    stack = apply_overrides(read_stack("onprem"), {})
    stack.values["clusterforge:sshPrivateKey"] = "password123"
    stack.secret_keys.add("clusterforge:sshPrivateKey")
    with pytest.raises(ConfigError) as caught:
        prepare_offline(stack)
    assert [f.path for f in caught.value.findings] == ["sshPrivateKey"]
    assert "password123" not in str(caught.value)


def test_the_program_checks_the_secrets_it_gets(monkeypatch):
    """Inside a Pulumi run the secret values are real: the program refuses bad key material."""
    from components import stack_config as pulumi_config

    values = {k: v for k, v in read_stack("onprem").values.items()}
    values["clusterforge:sshPrivateKey"] = "not a key"
    monkeypatch.setattr(pulumi_config, "_raw_config", lambda: (values, {"clusterforge:sshPrivateKey"}))
    logged = []
    monkeypatch.setattr(pulumi_config.pulumi.log, "error", logged.append)
    with pytest.raises(pulumi_config.pulumi.RunError, match="nothing was changed"):
        pulumi_config.stack_config_or_exit()
    assert logged == [str(f) for f in private_key_findings("sshPrivateKey", "not a key", [])]


def test_armoured_pgp_keys_are_checked_for_what_they_claim():
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    if not (shutil.which("gpg") and keyring.is_file()):
        missing("gpg and the Debian archive keyring are needed to armour a real key")
    armour = subprocess.run(["gpg", "--no-default-keyring", "--keyring", str(keyring), "--export", "--armor"],
                            capture_output=True, text=True, check=True, env={"GNUPGHOME": "/nonexistent"}).stdout
    assert pgp_public_key_errors(armour) == []
    lines = armour.splitlines()
    body = next(i for i, line in enumerate(lines) if line and i > 2 and not line.startswith(("-", "=")))
    lines[body] = lines[body][::-1]  # altered in transit
    assert "checksum does not match" in pgp_public_key_errors("\n".join(lines))[0]
    assert pgp_public_key_errors("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----")


def test_old_namespaced_key_form_is_read_as_pulumi_reads_it():
    stack = read_stack("onprem")
    values = {k.replace("clusterforge:", "clusterforge:config:", 1): v for k, v in stack.values.items()}
    assert load_stack(values).cluster.name == "onprem"


def test_unknown_top_level_keys_of_the_stack_file_are_reported(tmp_path):
    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "stacks" / "Pulumi.onprem.yaml").read_text())
    doc["confg"] = {"clusterforge:tenants": []}
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.onprem.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as caught:
        prepare_offline(read_stack("onprem", tmp_path))
    assert [str(f) for f in caught.value.findings] == [
        "\"confg\": Pulumi.onprem.yaml: Pulumi ignores the top-level key 'confg' (fix: put config keys under "
        "`config:`; top-level keys are config, environment, secretsprovider, encryptedkey, encryptionsalt)"]


@given(st.text(alphabet="abcXYZ019-_./", max_size=70))
def test_label_keys_the_model_accepts_are_ones_the_api_server_accepts(key):
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(names.LabelKey).validate_python(key)
    except ValidationError:
        assert names.qualified_name_errors(key)
    else:
        assert names.qualified_name_errors(key) == []

