"""FLUX-INPAINT offline: refine a pre-inpainted fill so it sits in its surroundings.

A classical fill (FASTINPAINT) is smooth: where the surroundings have grain or texture, the hole
reads as a smear. This backend keeps the fill's structure and colours, and gives it back the
surroundings' grain: the high-frequency residual of the ring around the hole is measured per
channel, and noise of the missing strength, shaped like that grain, is added inside the hole.
It cannot invent structure (a fence, a face) — the FLUX.1-Fill backend does that.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.builtin import _cv
from lego_edit.bricks.imageops import same_size
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import blend

RING = 24  # px of surroundings whose grain the fill should match
FEATHER = 3.0


def _residual(rgb: np.ndarray) -> np.ndarray:
    as_float = rgb.astype(np.float32)
    return as_float - cv2.GaussianBlur(as_float, (0, 0), 1.2)


def grain_match(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, preimage: np.ndarray,
                score: float) -> dict:
    if preimage.shape != image.shape or not same_size(image, mask):
        raise BrickError("FLUX-INPAINT needs the image, mask and pre-inpainted image at the same size")
    hole = (mask > 0).astype(np.uint8)
    if not hole.any():
        raise BrickError("the mask is empty: there is nothing to inpaint")
    ys, xs = np.nonzero(hole)
    pad = RING + 8
    y0, y1 = max(0, ys.min() - pad), min(hole.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(hole.shape[1], xs.max() + pad + 1)
    crop = np.s_[y0:y1, x0:x1]
    region = cv2.dilate(hole[crop], cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    ring = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))) > region
    inside = region > 0
    ctx.progress(0.3, "measuring grain")
    if not ring.any():
        raise BrickError("the mask covers the whole image: there are no surroundings to match")
    fill = preimage[crop][..., :3]
    ring_std = _residual(image[crop][..., :3])[ring].std(axis=0)
    fill_std = _residual(fill)[inside].std(axis=0)
    missing = np.sqrt(np.maximum(ring_std**2 - fill_std**2, 0.0))
    ctx.raise_if_cancelled()
    # Deterministic grain: the same inputs give the same pixels (and the same cache key).
    rng = np.random.default_rng(int(mask.sum()) % (2**32))
    noise = rng.standard_normal(fill.shape).astype(np.float32)
    noise = noise - cv2.GaussianBlur(noise, (0, 0), 1.2)
    noise /= max(float(noise.std()), 1e-6)
    refined_crop = np.clip(fill.astype(np.float32) + noise * missing, 0, 255).astype(np.uint8)
    ctx.progress(0.8, "blending")
    weight = cv2.GaussianBlur(region.astype(np.float32) * 255.0, (0, 0), FEATHER)
    weight[~(cv2.dilate(region, np.ones((9, 9), np.uint8)) > 0)] = 0
    edited = preimage.copy()
    edited[crop][..., :3] = blend(preimage[crop][..., :3], refined_crop, weight.astype(np.uint8))
    # Outside the hole's neighbourhood the output is the caller's image, byte for byte.
    outside = np.ones(mask.shape, bool)
    outside[crop] = ~(cv2.dilate(region, np.ones((9, 9), np.uint8)) > 0)
    edited[outside] = image[outside]
    edited[..., 3] = image[..., 3]
    # The removal itself is FASTINPAINT's; what must show is that the hole no longer holds the original.
    _cv.verify_edit("FLUX-INPAINT", image, edited, mask, outside=outside, what="the refined fill",
                    fix="the pre-inpainted image does not differ from the original inside the mask")
    return {"image": edited}
