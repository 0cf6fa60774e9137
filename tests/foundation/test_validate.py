"""The schema validator behind `check`: built-in kinds and CRDs with Kubernetes extensions."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from clusterforge.validate import CrdSchemas, validate_object

CRD = textwrap.dedent("""
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets}
      scope: Namespaced
      versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                apiVersion: {type: string}
                kind: {type: string}
                metadata: {type: object}
                spec:
                  type: object
                  required: [port]
                  properties:
                    port: {x-kubernetes-int-or-string: true}
                    note: {type: string, nullable: true}
                    extra:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                    size: {type: integer, format: int32, minimum: 1}
""")


@pytest.fixture()
def crds(tmp_path):
    (tmp_path / "widgets.yaml").write_text(CRD)
    return CrdSchemas(tmp_path)


def widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": "ns"}, "spec": spec}


def test_int_or_string_accepts_both(crds):
    assert validate_object(widget(port=8080), "1.36.2", crds) == []
    assert validate_object(widget(port="http"), "1.36.2", crds) == []


def test_int_or_string_rejects_other_types(crds):
    [finding] = validate_object(widget(port=[1]), "1.36.2", crds)
    assert finding.path == "spec.port"


def test_nullable_and_preserve_unknown_fields(crds):
    assert validate_object(widget(port=1, note=None, extra={"any": {"thing": 1}}), "1.36.2", crds) == []


def test_unknown_field_is_an_error_with_its_path(crds):
    [finding] = validate_object(widget(port=1, colour="red"), "1.36.2", crds)
    assert (finding.object, finding.path) == ("Widget/ns/w", "spec")
    assert "colour" in finding.message


def test_every_problem_is_reported(crds):
    findings = validate_object(widget(size=0, colour="red"), "1.36.2", crds)
    assert {f.path for f in findings} == {"spec", "spec.size"}


def test_builtin_kind_uses_the_pinned_kubernetes_schema(crds):
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ok"}}
    assert validate_object(ns, "1.36.2", crds) == []
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": "eighty"}]}}
    [finding] = validate_object(bad, "1.36.2", crds)
    assert finding.path == "spec.ports[0].port"


def test_unknown_custom_kind_says_where_it_looked(crds):
    [finding] = validate_object({"apiVersion": "nope.io/v1", "kind": "Thing", "metadata": {"name": "t"}},
                                "1.36.2", crds)
    assert "no CRD for nope.io/v1 Thing" in finding.message


def test_names_must_be_dns_subdomains(crds):
    findings = validate_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}},
                               "1.36.2", crds)
    assert [f.path for f in findings] == ["metadata.name"]


def test_upstream_crds_load(crd_dir):
    schemas = CrdSchemas(crd_dir)
    assert schemas.get("metallb.io/v1beta1", "IPAddressPool") is not None
    assert schemas.get("kwok.x-k8s.io/v1alpha1", "Stage") is not None
    pool = {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": "lan", "namespace": "metallb-system"},
            "spec": {"addresses": ["192.168.10.200-192.168.10.220"]}}
    assert validate_object(pool, "1.36.2", schemas) == []
    assert yaml.safe_dump(pool)


def test_a_masked_secret_value_is_not_judged_but_the_rest_of_the_object_is():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
              "type": "Opaque", "stringData": "[secret]"}
    assert validate_object(secret, "1.36.2", None) == []
    wrong = {**secret, "stringData": 5, "typo": 1}
    assert {f.path for f in validate_object(wrong, "1.36.2", None)} == {"stringData", ""}
