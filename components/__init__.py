"""clusterforge: the Pulumi program's components (config, specs and resources)."""
