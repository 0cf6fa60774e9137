"""AWS hosts as Pulumi resources: VPC or existing subnet, security group, key pair, instances.

Control planes get an Elastic IP: kubectl and the Pulumi provider reach the API server there
from the admin sources (the security group's ADMIN_PORTS), the API server's certificate names
it, and it is the control plane's SSH address (associating it releases the launch address).
Nodes keep talking to each other over private addresses.
"""
from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.hosts.outputs import HostOutput, HostsResult
from components.plan.hosts.aws_spec import (api_address_args, image_lookup_args, instance_args, key_pair_args,
                                            security_group_args, subnet_args, tags, vpc_args)
from components.plan.hosts.expand import protected
from components.plan.stack_plan import StackPlan


class AwsHosts(pulumi.ComponentResource):
    def __init__(self, name: str, stack_plan: StackPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__("clusterforge:hosts:AwsHosts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = stack_plan.config
        conf = cfg.hosts.aws
        provider = aws.Provider("aws", region=conf.region, opts=child)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        network: list[pulumi.Resource] = []
        if conf.subnet_id:
            subnet_id: pulumi.Input[str] = conf.subnet_id
            vpc_id: pulumi.Input[str] = aws.ec2.get_subnet_output(
                id=conf.subnet_id, opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)).vpc_id
        else:
            vpc = aws.ec2.Vpc("vpc", **vpc_args(cfg), opts=child)
            gateway = aws.ec2.InternetGateway("gateway", vpc_id=vpc.id, tags=tags(cfg, "gateway"), opts=child)
            subnet = aws.ec2.Subnet("nodes", vpc_id=vpc.id, **subnet_args(cfg), opts=child)
            routes = aws.ec2.RouteTable(
                "routes", vpc_id=vpc.id, routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
                tags=tags(cfg, "routes"), opts=child)
            association = aws.ec2.RouteTableAssociation(
                "nodes", subnet_id=subnet.id, route_table_id=routes.id, opts=child)
            network = [vpc, gateway, subnet, routes, association]
            subnet_id, vpc_id = subnet.id, vpc.id
        group = aws.ec2.SecurityGroup("nodes", vpc_id=vpc_id, **security_group_args(cfg), opts=child)
        key = aws.ec2.KeyPair("ssh", **key_pair_args(cfg), opts=child)

        # The image by publisher and name, resolved at preview (so the preview shows its ID).
        lookup = image_lookup_args(cfg)
        ami = None if lookup is None else aws.ec2.get_ami_output(
            **lookup, opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)).id

        self.hosts: list[HostOutput] = []
        instances: list[pulumi.Resource] = []
        for plan in stack_plan.host_plans:
            instance = aws.ec2.Instance(
                plan.spec.name, **instance_args(cfg, plan, ami), subnet_id=subnet_id,
                vpc_security_group_ids=[group.id], key_name=key.key_name,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=network,
                    ignore_changes=["ami"],  # a newer AMI must not replace running nodes
                    protect=protected(cfg, plan),
                )))
            instances.append(instance)
            public = instance.public_ip
            if plan.spec.role == "control-plane":
                address = aws.ec2.Eip(f"{plan.spec.name}-api", instance=instance.id, **api_address_args(cfg, plan),
                                      opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                                          depends_on=network)))
                instances.append(address)
                public = address.public_ip
            self.hosts.append(HostOutput.from_spec(
                plan.spec, cfg.hosts.ssh.private_key_secret, resource=instance,
                ssh_address=public, internal_address=instance.private_ip))
        self.resources: list[pulumi.Resource] = [*network, group, key, *instances]
        self.register_outputs({"hosts": [h.name for h in self.hosts]})


def build_aws_hosts(stack_plan: StackPlan, parent: pulumi.Resource) -> HostsResult:
    hosts = AwsHosts("aws", stack_plan, opts=pulumi.ResourceOptions(parent=parent))
    return HostsResult(hosts=hosts.hosts, resources=hosts.resources)
