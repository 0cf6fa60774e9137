"""The cloud stack's machine image is looked up by owner and name at preview (issue 24),
and demo workloads are off unless a stack asks for them."""
from __future__ import annotations

import pytest

from clusterforge.mockrun import UNKNOWN_TEXT, PreviewMocks, run_stack
from clusterforge.stackfile import apply_overrides, prepare_offline, read_stack, stack_names
from components.config import ConfigError
from components.plan.hosts.aws_spec import image_lookup_args

DEBIAN = "136693071363"  # Debian's cloud team's AWS account (wiki.debian.org/Cloud/AmazonEC2Image)


def test_the_cloud_stack_names_debians_image_not_an_id():
    aws = read_stack("cloud").values["clusterforge:hosts"]["aws"]
    assert "ami" not in aws and aws["image"] == {"owner": DEBIAN, "name": "debian-13-amd64-20251117-2299"}


def test_the_image_is_resolved_by_owner_and_name_at_preview_and_feeds_every_instance():
    mocks = PreviewMocks()
    rec = run_stack("cloud", mocks=mocks)
    [(token, args)] = [c for c in mocks.calls if c[0] == "aws:ec2/getAmi:getAmi"]
    assert args["owners"] == [DEBIAN] and args["mostRecent"] is True
    assert {f["name"]: f["values"] for f in args["filters"]} == {
        "name": ["debian-13-amd64-20251117-2299"], "architecture": ["x86_64"], "state": ["available"]}
    instances = rec.of_type("aws:ec2/instance:Instance")
    assert instances and {i.inputs["ami"] for i in instances} == {UNKNOWN_TEXT}  # what the lookup gave offline


def test_a_fixed_ami_id_still_works_and_looks_nothing_up():
    mocks = PreviewMocks()
    rec = run_stack("cloud", {"hosts.aws.image": None, "hosts.aws.ami": "ami-0123456789abcdef0"}, mocks=mocks)
    assert not [c for c in mocks.calls if c[0] == "aws:ec2/getAmi:getAmi"]
    assert {i.inputs["ami"] for i in rec.of_type("aws:ec2/instance:Instance")} == {"ami-0123456789abcdef0"}


@pytest.mark.parametrize("overrides,fragment", [
    ({"hosts.aws.ami": "ami-0123456789abcdef0"}, "not both"),
    ({"hosts.aws.image": None}, "not neither"),
    ({"hosts.aws.image.owner": "debian"}, "is not an AMI owner"),
    ({"hosts.aws.image.name": "x"}, "is not an AMI name"),
])
def test_the_image_is_given_once_and_well_formed(overrides, fragment):
    with pytest.raises(ConfigError) as caught:
        prepare_offline(apply_overrides(read_stack("cloud"), overrides))
    assert any(f.path.startswith("hosts.aws") and fragment in f.message for f in caught.value.findings), \
        [str(f) for f in caught.value.findings]


def test_lookup_arguments_are_none_for_a_fixed_id():
    cfg, _ = prepare_offline(apply_overrides(read_stack("cloud"), {"hosts.aws.image": None,
                                                                   "hosts.aws.ami": "ami-0123456789abcdef0"}))
    assert image_lookup_args(cfg) is None


@pytest.mark.parametrize("stack", stack_names())
def test_no_shipped_stack_runs_the_demo_workload(stack):
    rec = run_stack(stack)
    assert not [r for r in rec.resources if (r.inputs.get("metadata") or {}).get("name") == "mesh-example-training"]
