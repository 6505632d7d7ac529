"""Root conftest: plugins every test run loads, wherever it starts."""

pytest_plugins = ["tests.reliability.secret_guard"]
