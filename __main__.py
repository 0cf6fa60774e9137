"""clusterforge: one Kubernetes cluster from one declarative stack config.

Thin on purpose: validate the stack config (every problem reported at once, before any
resource is declared) against itself and against what the last deployment recorded, build
the cluster component, export what users need and what the next run checks against.
"""
import pulumi

from components import deployed as last
from components.cluster import Cluster
from components.plan.emulation.capacity import emulation_output
from components.plan.stack_plan import build_plan
from components.stack_config import refuse, stack_config_or_exit

config, secrets = stack_config_or_exit()
plan = build_plan(config)  # computed once, here; every component reads from it
deployed = last.read_deployed()
changes = last.deployed_findings(plan, deployed)
if changes:
    refuse(changes)
cluster = Cluster(config.cluster.name, plan, secrets, deployed)

pulumi.export("clusterName", config.cluster.name)
pulumi.export("kubernetesVersion", config.kubernetes.version)
pulumi.export("kubeconfig", cluster.kubeconfig)
if config.emulation is not None:
    pulumi.export("emulatedNodes", emulation_output(config.emulation))  # says KWOK's pods run no process
if cluster.tenant_kubeconfigs is not None:
    pulumi.export("tenantKubeconfigs", cluster.tenant_kubeconfigs)  # a secret: tenant -> kubeconfig
for name, value in last.record(plan, cluster.ready, deployed).items():
    pulumi.export(name, value)
