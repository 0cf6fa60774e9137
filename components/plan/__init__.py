"""The pure planning layer: what the program will declare, computed from the config alone.
No Pulumi import anywhere below here (tests/foundation/test_layers.py holds that)."""
