"""The cloud stack's API server is reachable from outside the VPC: each control plane has an
Elastic IP, which the handed-over kubeconfig names and the API server's certificate covers;
the nodes keep using private addresses among themselves."""
from __future__ import annotations

import json

from clusterforge.mockrun import PreviewMocks, run_stack
from components.plan.hosts.aws_spec import ADMIN_PORTS

EIP = "aws:ec2/eip:Eip"
INSTANCE = "aws:ec2/instance:Instance"


class AppliedAddresses(PreviewMocks):
    """TEST DOUBLE of the AWS provider after apply: instances and Elastic IPs have addresses."""

    def new_resource(self, args):
        _, state = super().new_resource(args)
        if args.typ == INSTANCE:
            state.update(privateIp=f"10.60.0.{10 + len(args.name)}", publicIp=f"198.51.100.{len(args.name)}")
        if args.typ == EIP:
            state.update(publicIp="203.0.113.7")
        return f"{args.name}-id", state


def test_every_control_plane_gets_an_elastic_ip_on_its_instance_and_provisioning_waits_for_it():
    rec = run_stack("cloud")
    [address] = rec.of_type(EIP)
    [cp] = [r for r in rec.of_type(INSTANCE) if r.name == "cp-1"]
    assert address.name == "cp-1-api" and address.inputs["domain"] == "vpc"
    assert cp.urn in address.dependencies      # associated with the control plane's instance
    assert address.urn in rec.named("prepare-cp-1").dependencies
    assert {(p.from_port, p.protocol) for p in ADMIN_PORTS} >= {(6443, "tcp")}   # open to the admin sources


def test_kubeconfig_and_certificate_use_the_public_address_nodes_the_private_one():
    rec = run_stack("cloud", mocks=AppliedAddresses())
    # the whole cluster's inventory (as reset-on-destroy gets it), its inputs in all.vars
    inventory = json.loads(rec.named("reset-on-destroy").inputs["stdin"])["inventory"]
    variables = inventory["all"]["vars"]
    private = "10.60.0.14"   # cp-1's private address from the double
    assert variables["control_plane_endpoint"] == f"{private}:6443"
    assert variables["client_endpoint"] == "203.0.113.7:6443"
    assert "203.0.113.7" in variables["cert_sans"]
    [cluster_doc] = [d for d in variables["kubeadm_documents"]["cp-1"] if d["kind"] == "ClusterConfiguration"]
    assert cluster_doc["controlPlaneEndpoint"] == f"{private}:6443"
    assert {"203.0.113.7", private} <= set(cluster_doc["apiServer"]["certSANs"])
    control_plane = inventory["all"]["children"]["k8s_cluster"]["children"]["control_plane"]["hosts"]["cp-1"]
    # The launch address is released when the Elastic IP is associated: SSH goes to the EIP.
    assert (control_plane["ansible_host"], control_plane["internal_address"]) == ("203.0.113.7", private)
    workers = inventory["all"]["children"]["k8s_cluster"]["children"]["workers"]["hosts"]
    assert workers["worker-1"]["ansible_host"].startswith("198.51.100.")


def test_on_premises_the_client_endpoint_is_the_configured_one():
    rec = run_stack("onprem")
    variables = json.loads(rec.named("reset-on-destroy").inputs["stdin"])["inventory"]["all"]["vars"]
    assert variables["client_endpoint"] == variables["control_plane_endpoint"] == "k8s-api.dc1.example.internal:6443"
