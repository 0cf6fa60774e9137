"""The stack config: one typed model, validated all at once (see loader.py)."""
from .base import ConfigError, Finding
from .loader import load_stack, load_stack_config, missing_secret_findings, secret_keys_needed
from .model import StackConfig

__all__ = ["ConfigError", "Finding", "StackConfig", "load_stack", "load_stack_config",
           "missing_secret_findings", "secret_keys_needed"]
