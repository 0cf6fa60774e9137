"""clusterforge's policy pack: pure rules (model, rules_*, catalog) and thin pulumi-policy wiring (engine)."""
