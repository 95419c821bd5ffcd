"""Helpers for the brick tests: running a classical backend, real photos from skimage.data, pixel measures."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
from skimage import data

from lego_edit.bricks import Brick, BrickContext, default_registry
from lego_edit.bricks.builtin import catalog
from lego_edit.bricks.registry import BrickSpec
from lego_edit.bricks.values import to_rgba

CTX = BrickContext()

# The built bricks under the catalog's names: C.RES is the registry's RES, with its backends.
C = SimpleNamespace(**{attr: default_registry().get(spec.name) for attr, spec in vars(catalog).items()
                       if isinstance(spec, BrickSpec)})


def run_classical(brick: Brick, **inputs):
    """The brick's active backend, which must be its classical one (no model weights here)."""
    backend = brick.active_backend()
    assert backend is not None and backend.kind == "classical", brick.unavailable_message()
    return backend.fn(CTX, **inputs)


def run(name: str, **inputs):
    brick = default_registry().get(name)
    assert brick is not None, f"{name} is not registered"
    return run_classical(brick, **inputs)


def frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (uint8 0..255 or bool)."""
    x, y = a > 127 if a.dtype != bool else a, b > 127 if b.dtype != bool else b
    return float((x & y).sum() / max(1, (x | y).sum()))


def photo(name: str) -> np.ndarray:
    """astronaut, chelsea, coffee or rocket as a read-only RGBA image."""
    return frozen(to_rgba(getattr(data, name)()))


def lightness(image: np.ndarray) -> np.ndarray:
    """CIELAB L* 0..100 (float) of an RGBA image."""
    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)[..., 0]


def laplacian_var(image: np.ndarray) -> float:
    grey = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a[..., :3].astype(np.float64) - b[..., :3].astype(np.float64)) ** 2).mean())
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))


def box_mask(shape, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def with_soft_alpha(image: np.ndarray) -> np.ndarray:
    """The image with a non-trivial alpha (a horizontal ramp), to check alpha is kept."""
    out = image.copy()
    out[..., 3] = np.linspace(40, 255, image.shape[1]).astype(np.uint8)[None, :]
    return frozen(out)
