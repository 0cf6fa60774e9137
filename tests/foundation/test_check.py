"""`clusterforge check`: config plus every rendered object, with exit codes 0/1/2."""
from __future__ import annotations

import pytest

from clusterforge import render as render_module
from clusterforge.check import check_stack
from clusterforge.cli import main
from clusterforge.stackfile import stack_names


@pytest.mark.parametrize("stack", stack_names())
def test_every_shipped_stack_checks_clean(stack, crd_dir):
    report = check_stack(stack, crd_dir)
    assert report.ok, report.text()


def test_bad_config_exits_1_with_paths(crd_dir, capsys, monkeypatch):
    original = render_module.read_stack

    def broken(name, root):
        stack = original(name, root)
        stack.values["clusterforge:kubernetes"] = {"version": "latest", "serviceCidr": "10.96.0.0/33"}
        return stack

    monkeypatch.setattr(render_module, "read_stack", broken)
    assert main(["check", "onprem", "--crd-schemas", str(crd_dir)]) == 1
    out = capsys.readouterr().out
    assert "clusterforge:kubernetes.version: version 'latest' is not pinned" in out
    assert "clusterforge:kubernetes.serviceCidr" in out
    assert "Traceback" not in out


def test_bad_object_exits_1_naming_object_and_field(crd_dir, capsys, monkeypatch):
    from clusterforge import check as check_module

    real = check_module.render_stack

    def with_bad_object(stack, out):
        result = real(stack, out)
        result.objects.append({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                               "metadata": {"name": "lan", "namespace": "metallb-system"},
                               "spec": {"addresses": "192.168.10.200-192.168.10.220"}})
        return result

    monkeypatch.setattr(check_module, "render_stack", with_bad_object)
    assert main(["check", "onprem", "--crd-schemas", str(crd_dir)]) == 1
    assert "IPAddressPool/metallb-system/lan: spec.addresses:" in capsys.readouterr().out


def test_missing_crd_directory_is_a_usage_error(tmp_path):
    assert main(["check", "onprem", "--crd-schemas", str(tmp_path / "absent")]) == 2
