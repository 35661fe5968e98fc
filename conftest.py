"""Fixtures every test in the repository may use: the real Kafka and MongoDB-wire servers."""

pytest_plugins = ["tests.support.infra", "tests.support.platform"]
