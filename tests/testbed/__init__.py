"""Throwaway SSH test hosts for real Ansible runs (see README.md in this directory)."""
from .aptrepo import AptRepo, build_deb
from .hosts import TestHost, Testbed, create_testbed
from .inventory import testbed_inventory

__all__ = ["AptRepo", "TestHost", "Testbed", "build_deb", "create_testbed", "testbed_inventory"]
