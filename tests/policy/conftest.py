"""The policy pack lives in policy/ (self-contained, as Pulumi runs it); the offline runner
puts it on the import path, so importing the runner first makes `clusterforge_policy` importable."""
import clusterforge.policy_run  # noqa: F401
