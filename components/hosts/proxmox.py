"""Proxmox hosts as Pulumi resources: image download, per-node template, clones."""
from __future__ import annotations

import pulumi
import pulumi_proxmoxve as proxmoxve

from components.hosts.outputs import HostOutput, HostsResult
from components.plan.hosts.expand import protected
from components.plan.hosts.proxmox_spec import (IGNORE_CHANGES, clone_args, clone_predecessors, image_args,
                                                template_args, template_nodes)
from components.plan.rules.proxmox import quorum_placement_risk
from components.plan.stack_plan import StackPlan


class ProxmoxHosts(pulumi.ComponentResource):
    def __init__(self, name: str, stack_plan: StackPlan, api_token: pulumi.Output[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("clusterforge:hosts:ProxmoxHosts", name, None, opts)
        cfg = stack_plan.config
        px = cfg.hosts.proxmox
        provider = proxmoxve.Provider(
            "proxmox", endpoint=px.endpoint, insecure=px.insecure, api_token=api_token,
            opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        plans = list(stack_plan.host_plans)
        if px.insecure:
            pulumi.log.warn("clusterforge:hosts.proxmox.insecure is true: the Proxmox API's TLS certificate is "
                            "not verified, so the API token goes to whoever answers; trust the Proxmox CA "
                            "instead (README: Proxmox's certificate) and remove insecure")
        risk = quorum_placement_risk(cfg, plans)
        if risk:  # accepted in config, else the config would have been refused
            pulumi.log.warn(f"clusterforge:hosts.proxmox.requireQuorumOnNodeLoss is false: {risk}")
        if not px.template.image_checksum:
            pulumi.log.warn("clusterforge:hosts.proxmox.template.imageChecksum is not set: the cloud "
                            "image is downloaded unverified; set it from the image's SHA512SUMS")
        templates: dict[str, proxmoxve.VmLegacy] = {}
        for node in template_nodes(cfg, plans):
            image = proxmoxve.download.File(f"image-{node}", **image_args(cfg, node), opts=child)
            args = template_args(cfg, node)
            args["disks"][0]["import_from"] = image.id
            templates[node] = proxmoxve.VmLegacy(
                f"template-{node}", **args,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    ignore_changes=list(IGNORE_CHANGES))))

        predecessors = clone_predecessors(plans, px.clone_concurrency)
        vms: dict[str, proxmoxve.VmLegacy] = {}
        self.hosts: list[HostOutput] = []
        for plan in plans:
            before = predecessors[plan.spec.name]
            depends = [templates[plan.placement]] + ([vms[before]] if before else [])
            vms[plan.spec.name] = proxmoxve.VmLegacy(
                plan.spec.name, **clone_args(cfg, plan),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=depends,
                    ignore_changes=list(IGNORE_CHANGES),
                    protect=protected(cfg, plan),
                )))
            # Static addresses come from config, so they are known before the VM exists.
            self.hosts.append(HostOutput.from_spec(plan.spec, cfg.hosts.ssh.private_key_secret,
                                                   resource=vms[plan.spec.name]))
        self.resources: list[pulumi.Resource] = [*templates.values(), *vms.values()]
        self.register_outputs({"hosts": [h.name for h in self.hosts]})


def build_proxmox_hosts(stack_plan: StackPlan, secrets: dict[str, pulumi.Output[str]],
                        parent: pulumi.Resource) -> HostsResult:
    hosts = ProxmoxHosts("proxmox", stack_plan, secrets[stack_plan.config.hosts.proxmox.api_token_secret],
                         opts=pulumi.ResourceOptions(parent=parent))
    return HostsResult(hosts=hosts.hosts, resources=hosts.resources)
