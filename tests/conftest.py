from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data"  # sources and licences: tests/data/README.md
REFERENCE_WORKFLOWS = DATA / "reference_workflows"
IMGEDIT = DATA / "benchmarks" / "imgedit_basic_edit.json"


@pytest.fixture(scope="session")
def registry():
    from lego_edit.bricks import default_registry

    return default_registry()


def rgba(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return rgba(data.astronaut())


def red_disk_photo(size: int = 1024, centre=None, radius=None):
    """A real photo with a red ball painted on it; returns (image, truth mask)."""
    from lego_edit.bricks.samples import red_ball_photo

    return red_ball_photo(size, centre, radius)


@pytest.fixture
def chat():
    """chat(*answers) starts a loopback OpenAI-compatible server that gives those answers in turn."""
    from tests.chat_server import ChatServer

    servers = []

    def start(*answers):
        servers.append(ChatServer(answers))
        return servers[-1]

    yield start
    for s in servers:
        s.close()
