"""validate: custom resources of CRDs whose schema leaves out apiVersion and kind (Istio's),
and values a render cannot show (secrets, unknowns), which fit any schema."""
from __future__ import annotations

from clusterforge.mockrun import SECRET_TEXT, UNKNOWN_TEXT
from clusterforge.validate import CrdSchemas, validate_object

POLICY = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
          "metadata": {"name": "allow-nothing", "namespace": "ingress"}, "spec": {}}


def test_istio_resources_validate_with_their_apiversion_and_kind(crd_dir):
    crds = CrdSchemas(crd_dir)
    assert "apiVersion" not in crds.get("security.istio.io/v1", "AuthorizationPolicy").get("properties", {})
    assert validate_object(POLICY, "1.36.2", crds) == []
    wrong = {**POLICY, "spec": {"action": "MAYBE"}}
    assert [f.path for f in validate_object(wrong, "1.36.2", crds)] == ["spec.action"]


def test_values_the_render_cannot_show_fit_any_schema(crd_dir):
    crds = CrdSchemas(crd_dir)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ca", "namespace": "x"}}
    assert validate_object({**secret, "stringData": SECRET_TEXT}, "1.36.2", crds) == []
    assert validate_object({**secret, "stringData": UNKNOWN_TEXT}, "1.36.2", crds) == []
    assert [f.path for f in validate_object({**secret, "stringData": "plain"}, "1.36.2", crds)] == ["stringData"]
