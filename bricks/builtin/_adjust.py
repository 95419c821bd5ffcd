"""Rules the adjustment bricks (tone.py, restore.py) share: the `amount` convention, the optional mask,
the honest "nothing to change", and float colour conversions.

`amount` is a Float in [-1, 1]: 0 = unchanged, positive = more of the named quality; values outside
are clamped. An optional mask limits the edit (soft edges blend); pixels outside it stay
byte-identical and alpha is always kept.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from lego_edit.bricks.builtin import _cv
from lego_edit.bricks.registry import BrickError
from lego_edit.bricks.values import blend, with_alpha


def amount(value: float, brick: str, name: str = "amount", *, low: float = -1.0, low_hint: str = "") -> float:
    """`value` as a float clamped to [low, 1]; a BrickError when it is not a number, when it is 0
    ("nothing to change"), or when it is below `low` (bricks that only go one way: `low_hint` says
    what to use instead)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BrickError(f"{brick}: {name} must be a number between {low:g} and 1, got {value!r}") from None
    if not math.isfinite(number):
        raise BrickError(f"{brick}: {name} must be a number between {low:g} and 1, got {value!r}")
    if number < low:
        raise BrickError(f"{brick}: {name} must be between {low:g} and 1, got {number:g}"
                         + (f"; {low_hint}" if low_hint else ""))
    number = min(1.0, max(-1.0, number))
    if number == 0.0:
        raise BrickError(f"{brick}: nothing to change: {name} is 0 (use a value up to 1, e.g. 0.3 for a subtle change)")
    return number


def check_region(image: np.ndarray, mask: np.ndarray | None, brick: str) -> None:
    """The optional mask must fit the image and cover something."""
    if mask is not None:
        _cv.check_mask(image, mask, brick)


def finish(brick: str, image: np.ndarray, rgb: np.ndarray, mask: np.ndarray | None = None,
           what: str = "the edit") -> dict:
    """The edited RGB (float 0..1 or uint8) put back: inside the mask (soft edges blend), the input's
    alpha kept; a BrickError when no pixel changed (the amount was too small for this image)."""
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    base = np.ascontiguousarray(image[..., :3])
    if mask is not None:
        rgb = blend(base, rgb, mask)
    if np.array_equal(rgb, base):
        where = " inside the mask" if mask is not None else ""
        raise BrickError(f"{brick}: nothing to change: {what} leaves every pixel{where} as it was "
                         "(try a larger amount)")
    return {"image": with_alpha(rgb, image[..., 3])}


def unchanged(brick: str, reason: str) -> BrickError:
    return BrickError(f"{brick}: nothing to change: {reason}")


def to_float(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) / 255.0


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB of a uint8 RGB image, float32 (L 0..100, a/b about -128..127)."""
    return cv2.cvtColor(to_float(rgb), cv2.COLOR_RGB2LAB)


def rgb_of(lab_image: np.ndarray) -> np.ndarray:
    """Float RGB 0..1 (clipped) of a float CIELAB image."""
    return np.clip(cv2.cvtColor(lab_image.astype(np.float32), cv2.COLOR_LAB2RGB), 0.0, 1.0)


def to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB float 0..1 -> linear light."""
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light -> sRGB float 0..1 (clipped)."""
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055).astype(np.float32)


def weights(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Per-pixel weight 0..1 for statistics: the mask (if any) times the alpha."""
    w = image[..., 3].astype(np.float32) / 255.0
    if mask is not None:
        w = w * (mask.astype(np.float32) / 255.0)
    return w


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def edge_preserving_smooth(gray: np.ndarray, radius: int, eps: float = 1e-2) -> np.ndarray:
    """A smooth, edge-aware version of a float 0..1 single-channel image (guided filter, itself as the
    guide); a Gaussian where OpenCV's ximgproc is missing."""
    radius = max(1, int(radius))
    ximgproc = getattr(cv2, "ximgproc", None)
    if ximgproc is not None:
        return ximgproc.guidedFilter(gray, gray, radius, eps)
    return cv2.GaussianBlur(gray, (0, 0), radius / 2.0)
