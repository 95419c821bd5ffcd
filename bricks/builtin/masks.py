"""Exact mask and image algebra: BBOX, INVERSE, COMPOSE, RESIZE."""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.imageops import same_size, wxh
from lego_edit.bricks.registry import BrickContext, BrickError


def _same_size(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if not same_size(a, b):
        raise BrickError(f"{what} differ in size: {wxh(a)} and {wxh(b)}")


def _masks_or_images(brick: str, mask1, mask2, image1, image2) -> str:
    has_mask = mask1 is not None or mask2 is not None
    has_image = image1 is not None or image2 is not None
    if has_mask and has_image:
        raise BrickError(f"{brick} takes masks or images, not both")
    if not has_mask and not has_image:
        raise BrickError(f"{brick} needs masks or images, got none")
    return "mask" if has_mask else "image"


def bbox(ctx: BrickContext, mask: np.ndarray) -> dict:
    out = np.zeros_like(mask)
    ys, xs = np.nonzero(mask)
    if len(ys):
        out[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1] = 255
    return {"mask": out}


def inverse(ctx: BrickContext, mask1=None, mask2=None, image1=None, image2=None) -> dict:
    if _masks_or_images("INVERSE", mask1, mask2, image1, image2) == "mask":
        if mask2 is None:
            raise BrickError("INVERSE needs mask2 (the part to take away)")
        base = np.full_like(mask2, 255) if mask1 is None else mask1
        _same_size(base, mask2, "masks")
        return {"mask": np.clip(base.astype(np.int16) - mask2.astype(np.int16), 0, 255).astype(np.uint8), "image": None}
    if image1 is None or image2 is None:
        raise BrickError("INVERSE of images needs image1 and image2")
    _same_size(image1, image2, "images")
    diff = cv2.absdiff(image1[..., :3], image2[..., :3])
    alpha = np.maximum(image1[..., 3], image2[..., 3])
    return {"image": np.dstack([diff, alpha]), "mask": None}


def compose(ctx: BrickContext, mask1=None, mask2=None, image1=None, image2=None) -> dict:
    if _masks_or_images("COMPOSE", mask1, mask2, image1, image2) == "mask":
        present = [m for m in (mask1, mask2) if m is not None]
        if len(present) == 2:
            _same_size(present[0], present[1], "masks")
        return {"mask": np.maximum.reduce(present) if len(present) == 2 else present[0].copy(), "image": None}
    if image1 is None or image2 is None:
        raise BrickError("COMPOSE of images needs image1 and image2")
    _same_size(image1, image2, "images")
    # Porter-Duff "over" with straight alpha.
    a2 = image2[..., 3:4].astype(np.float32) / 255.0
    a1 = image1[..., 3:4].astype(np.float32) / 255.0
    out_a = a2 + a1 * (1.0 - a2)
    rgb = image2[..., :3] * a2 + image1[..., :3] * a1 * (1.0 - a2)
    rgb = np.where(out_a > 0, rgb / np.maximum(out_a, 1e-6), 0)
    out = np.dstack([np.rint(rgb), np.rint(out_a * 255.0)]).clip(0, 255).astype(np.uint8)
    return {"image": out, "mask": None}


def _scale_on_base(array: np.ndarray, valid: np.ndarray, ratio: float, interpolation: int) -> np.ndarray:
    """The reference's RESIZE: the bounding box of the largest valid region is scaled by `ratio`, kept
    standing on its bottom edge and centred horizontally on it; everything else becomes empty. A box
    that grows past the image is cut at the border (its top-left corner clamped into the image)."""
    contours, _ = cv2.findContours(valid.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        raise BrickError("RESIZE: the input is empty, so there is nothing to resize")
    x, y, w, h = cv2.boundingRect(max(contours, key=cv2.contourArea))
    new_w, new_h = int(w * ratio), int(h * ratio)
    if new_w < 1 or new_h < 1:
        raise BrickError(f"RESIZE: ratio {ratio:g} shrinks the {w}x{h} region to nothing")
    scaled = cv2.resize(np.ascontiguousarray(array[y:y + h, x:x + w]), (new_w, new_h), interpolation=interpolation)
    out = np.zeros_like(array)
    left, top = max(0, x + (w - new_w) // 2), max(0, y + h - new_h)
    right, bottom = min(left + new_w, array.shape[1]), min(top + new_h, array.shape[0])
    out[top:bottom, left:right] = scaled[:bottom - top, :right - left]
    return out


def resize(ctx: BrickContext, ratio: float, mask=None, image=None) -> dict:
    if (mask is None) == (image is None):
        raise BrickError("RESIZE takes exactly one of mask or image")
    ratio = float(ratio)
    if not 0.01 <= ratio <= 100:
        raise BrickError(f"RESIZE ratio {ratio} is out of range (0.01 to 100)")
    if mask is not None:
        return {"mask": _scale_on_base(mask, mask > 127, ratio, cv2.INTER_NEAREST), "image": None}
    interpolation = cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
    return {"image": _scale_on_base(image, image[..., 3] > 1, ratio, interpolation), "mask": None}


def _grow_radius(pixels: float, shape: tuple[int, ...]) -> float:
    """GROW-MASK's radius in pixels (signed): |pixels| < 1 is a fraction of the long side."""
    try:
        value = float(pixels)
    except (TypeError, ValueError):
        raise BrickError(f"GROW-MASK: pixels must be a number, got {pixels!r}") from None
    if not np.isfinite(value):
        raise BrickError(f"GROW-MASK: pixels must be a number, got {pixels!r}")
    if value == 0:
        raise BrickError("GROW-MASK: nothing to change: pixels is 0 (positive grows the mask, negative shrinks it)")
    return value * max(shape[:2]) if abs(value) < 1 else value


def grow_mask(ctx: BrickContext, mask: np.ndarray, pixels: float) -> dict:
    """Dilate (pixels > 0) or erode (< 0) by a Euclidean distance: the mask (thresholded at 128) grows
    or shrinks by exactly that radius, with a one-pixel anti-aliased rim; the original soft edges are
    kept where they survive (growing takes the maximum, eroding the minimum). The image border is not
    an edge: a mask touching it does not shrink away from it."""
    radius = _grow_radius(pixels, mask.shape)
    inside = (mask >= 128).astype(np.uint8)
    if not mask.any():
        raise BrickError("GROW-MASK: the mask is empty, so there is nothing to grow or shrink")
    if radius > 0:
        if inside.all():
            raise BrickError("GROW-MASK: nothing to change: the mask already covers the whole image")
        distance = cv2.distanceTransform(1 - inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)  # to the mask
        grown = np.clip(radius + 1.0 - distance, 0.0, 1.0) * 255.0
        out = np.maximum(mask, np.rint(grown).astype(np.uint8))
    else:
        if not inside.any():
            out = np.zeros_like(mask)  # all of it softer than half: eroding by any radius clears it
        else:
            distance = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)  # to the outside
            kept = np.clip(distance + radius, 0.0, 1.0) * 255.0
            out = np.minimum(mask, np.rint(kept).astype(np.uint8))
    if np.array_equal(out, mask):
        raise BrickError(f"GROW-MASK: nothing to change: {'growing' if radius > 0 else 'shrinking'} by "
                         f"{abs(radius):.2g} px leaves the mask as it was")
    return {"mask": out}
