"""clusterforge's policy pack, as `pulumi preview/up --policy-pack policy` runs it."""
from pulumi_policy import PolicyPack

from clusterforge_policy.engine import PACK_LEVEL, PACK_NAME, policies

PolicyPack(name=PACK_NAME, enforcement_level=PACK_LEVEL, policies=policies())
