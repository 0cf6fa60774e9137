from tests.testbed.fixtures import testbed3, testbed_factory  # noqa: F401
