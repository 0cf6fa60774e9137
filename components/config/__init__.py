"""The stack config: one typed model and the rules of each section (see loader.py).
The rules that span sections, and loading with them, are in components/plan/."""
from components.config.base import ConfigError, Finding
from components.config.model import StackConfig

__all__ = ["ConfigError", "Finding", "StackConfig"]
