"""clusterforge tooling: offline render, check, diff and benchmarks of the Pulumi program."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
