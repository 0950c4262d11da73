"""Shared fixtures live in tests/support/ (one plugin module per real part the tests run)."""

pytest_plugins = [
    "tests.support.postgres",
    "tests.support.discord",
    "tests.support.aws",
    "tests.support.tcp_proxy",
]
