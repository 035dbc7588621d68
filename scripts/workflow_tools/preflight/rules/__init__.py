"""Importing this package registers every rule in `preflight.registry.REGISTRY`."""

from workflow_tools.preflight.rules import (
    api,
    compute,
    governance,
    iam,
    monitoring,
    network,
    storage,
)

__all__ = ["api", "compute", "governance", "iam", "monitoring", "network", "storage"]
