"""The stack config: one typed model, validated all at once (see loader.py)."""
from components.config.base import ConfigError, Finding
from components.config.loader import load_stack, load_stack_config, missing_secret_findings, secret_keys_needed
from components.config.model import StackConfig

__all__ = ["ConfigError", "Finding", "StackConfig", "load_stack", "load_stack_config",
           "missing_secret_findings", "secret_keys_needed"]
