"""Exact geometry of the whole image: CROP (centred, to an aspect ratio), ROTATE, FLIP.

These change where pixels are, not what they are; CROP and ROTATE (other than by right angles) change
the canvas size, so masks made before them no longer fit the result.
"""

from __future__ import annotations

import math
import re

import cv2
import numpy as np

from lego_edit.bricks.builtin import _adjust
from lego_edit.bricks.registry import BrickContext, BrickError

# --- CROP ---------------------------------------------------------------------------------------

ASPECT_NAMES = {"square": (1.0, 1.0)}
ASPECT_HELP = "'W:H' with positive numbers (e.g. '16:9', '1:1', '4:5', '2:1', '3:2') or 'square'"
_ASPECT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*$")


def parse_aspect(aspect: str) -> float:
    """Width / height of an aspect string; a BrickError naming the accepted forms otherwise."""
    text = str(aspect).strip().lower()
    if text in ASPECT_NAMES:
        w, h = ASPECT_NAMES[text]
        return w / h
    match = _ASPECT.match(text)
    if match:
        w, h = float(match.group(1)), float(match.group(2))
        if w > 0 and h > 0 and 0.01 <= w / h <= 100:
            return w / h
    raise BrickError(f"CROP: unknown aspect {aspect!r}; accepted: {ASPECT_HELP}")


def crop_box(width: int, height: int, ratio: float) -> tuple[int, int, int, int]:
    """(x0, y0, w, h) of the largest centred crop of aspect `ratio` (w / h) inside width x height."""
    if width / height > ratio:
        w, h = max(1, min(width, round(height * ratio))), height
    else:
        w, h = width, max(1, min(height, round(width / ratio)))
    return (width - w) // 2, (height - h) // 2, w, h


def crop(ctx: BrickContext, image: np.ndarray, aspect: str) -> dict:
    """The largest centred crop of the given aspect ratio (rounded to whole pixels)."""
    ratio = parse_aspect(aspect)
    height, width = image.shape[:2]
    x0, y0, w, h = crop_box(width, height, ratio)
    if (w, h) == (width, height):
        raise _adjust.unchanged("CROP", f"the image ({width}x{height}) already has the aspect {aspect}")
    return {"image": np.ascontiguousarray(image[y0:y0 + h, x0:x0 + w])}


# --- ROTATE -------------------------------------------------------------------------------------


def rotate(ctx: BrickContext, image: np.ndarray, angle: float) -> dict:
    """Rotate counter-clockwise by `angle` degrees. Multiples of 90 are exact (np.rot90); any other
    angle expands the canvas to hold the whole image, the new corners transparent (bicubic on
    premultiplied alpha, so edges do not darken)."""
    try:
        degrees = float(angle)
    except (TypeError, ValueError):
        raise BrickError(f"ROTATE: angle must be a number of degrees, got {angle!r}") from None
    if not math.isfinite(degrees):
        raise BrickError(f"ROTATE: angle must be a number of degrees, got {angle!r}")
    turn = degrees % 360.0
    if min(turn, 360.0 - turn) < 1e-6:
        raise _adjust.unchanged("ROTATE", f"rotating by {degrees:g} degrees leaves the image as it is")
    quarter = turn / 90.0
    if abs(quarter - round(quarter)) < 1e-6:
        return {"image": np.ascontiguousarray(np.rot90(image, int(round(quarter)) % 4))}
    h, w = image.shape[:2]
    rad = math.radians(turn)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    new_w, new_h = math.ceil(w * cos + h * sin - 1e-6), math.ceil(w * sin + h * cos - 1e-6)
    ctx.check_pixels(new_w, new_h, f"ROTATE by {degrees:g} degrees: the expanded canvas")
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), turn, 1.0)
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    alpha = image[..., 3:4].astype(np.float32) / 255.0
    premultiplied = np.dstack([image[..., :3].astype(np.float32) * alpha, alpha * 255.0])
    warped = cv2.warpAffine(premultiplied, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    out_alpha = np.clip(warped[..., 3:4], 0.0, 255.0)
    rgb = np.where(out_alpha > 0.5, warped[..., :3] * 255.0 / np.maximum(out_alpha, 1e-6), 0.0)
    out = np.dstack([np.clip(rgb, 0, 255), out_alpha])
    return {"image": np.ascontiguousarray(np.rint(out).astype(np.uint8))}


# --- FLIP ---------------------------------------------------------------------------------------

DIRECTIONS = {
    "horizontal": 1, "horizontally": 1, "left-right": 1, "mirror": 1,
    "vertical": 0, "vertically": 0, "up-down": 0, "upside down": 0, "upside-down": 0,
}


def flip(ctx: BrickContext, image: np.ndarray, direction: str) -> dict:
    """'horizontal' mirrors left-right (np.fliplr), 'vertical' flips top-bottom (np.flipud)."""
    key = str(direction).strip().lower()
    if key not in DIRECTIONS:
        raise BrickError(f"FLIP: unknown direction {direction!r}; accepted: 'horizontal' (mirror left-right) "
                         "or 'vertical' (top-bottom)")
    out = np.ascontiguousarray(np.fliplr(image) if DIRECTIONS[key] == 1 else np.flipud(image))
    if np.array_equal(out, image):
        raise _adjust.unchanged("FLIP", f"the image is symmetric, flipping it {key} changes no pixel")
    return {"image": out}
