"""clusterforge: one Kubernetes cluster from one declarative stack config.

Thin on purpose: validate the stack config (every problem reported at once, before any
resource is declared), build the cluster component, export what users need.
"""
import pulumi

from components.cluster import Cluster
from components.config.pulumi_config import stack_config_or_exit

config, secrets = stack_config_or_exit()
cluster = Cluster(config.cluster.name, config, secrets)

pulumi.export("clusterName", config.cluster.name)
pulumi.export("kubernetesVersion", config.kubernetes.version)
pulumi.export("kubeconfig", cluster.kubeconfig)
