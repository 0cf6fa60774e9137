from tests.testbed.fixtures import testbed_factory  # noqa: F401
