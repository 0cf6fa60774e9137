"""`clusterforge check`'s semantic rules for secure ingress: the homelab render passes, and
each file in tests/fixtures/semantic breaks one rule and names the finding it expects.

A fixture is `{set: {CONFIG PATH: VALUE}, edit: [{kind, name, set: {FIELD PATH: VALUE}}],
expect: [{object, message}]}`: config overrides of homelab are rendered; edits then
change rendered objects (what no config can produce, such as a policy without the
login's paths); `message` is a part of the finding's text.
"""
from __future__ import annotations

import copy
import functools
import json
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from clusterforge.cli import main
from clusterforge.ingress_check import (LOGIN_PATHS, istio_path_matches, render_facts, rule_covers,
                                        semantic_findings)
from clusterforge.render import render_stack
from clusterforge.validate import CrdSchemas, validate_objects
from components.plan.addons.ingress_inputs import AUTH_EXCLUDED_PATHS

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "semantic").glob("*.yaml"))
RULES_COVERED = ("issuer", "custom-provider", "login-paths", "credential", "tls-verification", "cookie-secret",
                 "bcrypt")


def _set(node, path: str, value) -> None:
    parts = [int(i) if i else name for name, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]
    for part in parts[:-1]:
        node = node[part]
    if value is None:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value


@functools.lru_cache(maxsize=None)
def _rendered(overrides: str):
    """Facts of a homelab render (once per set of overrides; edits work on a copy)."""
    with tempfile.TemporaryDirectory() as tmp:
        return render_facts(render_stack("homelab", Path(tmp) / "render", overrides=json.loads(overrides)))


def fixture_findings(case: dict):
    facts = copy.deepcopy(_rendered(json.dumps(case.get("set") or {}, sort_keys=True)))
    for edit in case.get("edit", []):
        # A Helm release's values are edited after the render: the config refuses credentials in values.
        [target] = ([r for r in facts.releases if r["name"] == edit["name"]] if edit["kind"] == "HelmRelease" else
                    [o for o in facts.objects if o["kind"] == edit["kind"] and o["metadata"]["name"] == edit["name"]])
        for path, value in edit["set"].items():
            _set(target, path, value)
    return semantic_findings(facts)


def test_every_rule_has_fixtures():
    assert all(any(p.stem.startswith(rule) for p in FIXTURES) for rule in RULES_COVERED)


def test_homelab_has_no_semantic_findings():
    assert fixture_findings({}) == []


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_fails_with_its_message(path: Path):
    case = yaml.safe_load(path.read_text())
    findings = fixture_findings(case)
    for expected in case["expect"]:
        assert any(f.object == expected["object"] and expected["message"] in f.message for f in findings), \
            (expected, [str(f) for f in findings])
    # Only the objects the fixture breaks are named, and every message says what to do.
    assert {f.object for f in findings} == {e["object"] for e in case["expect"]}, [str(f) for f in findings]
    assert all("fix:" in f.message or "keep" in f.message or "must" in f.message for f in findings)


def test_check_command_reports_a_semantic_finding(crd_dir, capsys, monkeypatch):
    from clusterforge import check as check_module

    real = check_module.render_stack

    def with_wrong_namespace(stack, out):
        result = real(stack, out)
        [cert] = [o for o in result.objects if o["kind"] == "Certificate"]
        cert["metadata"]["namespace"] = "istio-system"
        return result

    monkeypatch.setattr(check_module, "render_stack", with_wrong_namespace)
    assert main(["check", "homelab", "--crd-schemas", str(crd_dir)]) == 1
    out = capsys.readouterr().out
    assert "Gateway/ingress/clusterforge: spec.servers[1].tls.credentialName: credential 'gateway-tls'" in out
    assert "Traceback" not in out


def test_gateway_api_form_checks_clean(crd_dir, tmp_path):
    result = render_stack("homelab", tmp_path, overrides={"addons.istio.gateway.api": "gateway-api",
                                                          "addons.istio.gateway.hostnames": ["sso.home.arpa"]})
    assert {"HTTPRoute", "Gateway"} <= {o["kind"] for o in result.objects}
    crds = CrdSchemas(crd_dir)
    assert validate_objects(result.objects, result.config.kubernetes.version, crds) == []
    assert semantic_findings(render_facts(result)) == []


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._", min_size=1, max_size=8)


@given(prefix=st.lists(_SEGMENT, min_size=1, max_size=3), rest=st.lists(_SEGMENT, max_size=3))
def test_path_patterns_follow_istio(prefix, rest):
    base = "/" + "/".join(prefix)
    path = base + "/" + "/".join(rest)
    assert istio_path_matches(base + "/*", path)  # prefix match
    assert istio_path_matches("*", path)
    assert istio_path_matches(path, path) and not istio_path_matches(path + "x", path)  # exact
    assert istio_path_matches("*" + path[-1], path)  # suffix match
    assert istio_path_matches(base + "/{**}", path) == bool(rest and "/".join(rest))
    assert not istio_path_matches(base + "x/*", path) or path.startswith(base + "x/")


def test_the_shipped_exclusions_cover_every_login_path():
    rule = {"to": [{"operation": {"notPaths": list(AUTH_EXCLUDED_PATHS)}}]}
    assert [p for p in LOGIN_PATHS if rule_covers(rule, p)] == []
    assert rule_covers(rule, "/grafana/") and rule_covers(rule, "/api/v1/query")
    assert rule_covers({}, "/dex/auth")  # no `to`: every path
