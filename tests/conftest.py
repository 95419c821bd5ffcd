from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE_WORKFLOWS = SHARED / "fixtures" / "reference_workflows"
IMGEDIT = SHARED / "benchmarks" / "imgedit_basic_edit.json"


@pytest.fixture(scope="session")
def registry():
    from bricks import default_registry

    return default_registry()


def rgba(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return rgba(data.astronaut())


def red_disk_photo(size: int = 1024, centre=(640, 380), radius: int = 150):
    """A real photo (coffee, scaled to `size`) with a red disk painted on it; returns (image, truth mask)."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.coffee(), (size, size), interpolation=cv2.INTER_AREA)
    truth = np.zeros((size, size), np.uint8)
    cv2.circle(truth, centre, radius, 255, -1)
    shaded = photo.copy()
    yy, xx = np.mgrid[0:size, 0:size]
    shade = 1.0 - 0.35 * ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius**2
    red = np.stack([210 * shade, 25 * shade, 30 * shade], axis=-1).clip(0, 255).astype(np.uint8)
    shaded[truth > 0] = red[truth > 0]
    return rgba(shaded), truth
