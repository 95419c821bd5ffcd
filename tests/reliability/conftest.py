"""Fixtures of the reliability suite: a real daemon per test (or per module), torn down whatever happens."""

from __future__ import annotations

import pytest

from tests.reliability.harness import Daemon


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/reliability/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def make_daemon(tmp_path):
    """make_daemon(config=None) -> a started Daemon; every one made is stopped at the end."""
    made: list[Daemon] = []

    def make(config=None, start=True, **kwargs):
        daemon = Daemon(tmp_path / f"d{len(made)}", config, **kwargs)
        made.append(daemon)
        return daemon.start() if start else daemon

    yield make
    for daemon in made:
        daemon.close()


@pytest.fixture
def daemon(make_daemon):
    return make_daemon()
