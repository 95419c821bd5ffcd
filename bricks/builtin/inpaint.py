"""FASTINPAINT offline: OpenCV Navier-Stokes inpainting on a crop around the mask, composited back softly.

Only a crop around the (slightly dilated) mask is inpainted, downscaled when the hole is large, so
the cost follows the hole, not the image. Propagation alone draws streaky cones into big holes, so
the hole's rim is inpainted at working resolution and its interior at a quarter of it (smoother),
blended by the distance from the rim. Navier-Stokes rather than Telea: as fast here, and it fills a
flat surround with exactly its colour (Telea strays by a few levels). The result is pasted back
through a feathered mask: pixels further than about 20 px from the mask are the input's bytes, and
alpha is never changed.

FLUX-INPAINT and FLUX-FILL generate new content; they have no classical backend.

Score (0..1, higher = more plausible), measured at working resolution on the inpainted crop, with
the ring = the 6 px band of known pixels around the dilated hole:

    score = min(1, (g_fill + 1) / (g_ring + 1)) * exp(-s_ring / 40)

g_fill, g_ring: mean gradient magnitude of L* (CIELAB, 0..100) inside the hole and in the ring.
The fill is smooth, so a textured ring (g_ring >> g_fill) means the fill will look smeared.
s_ring: RMS colour spread of the ring (Delta-E units). A hole bordered by one plain colour is
easy (s_ring ~ 0); one straddling very different colours gets a blend no one would paint.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import _cv
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import blend

MAX_HOLE_SHARE = 0.15  # a larger hole is refused: propagation from its rim cannot fill it believably
MAX_HOLE_PIXELS = 60_000  # holes larger than this (at working resolution) are inpainted downscaled
FEATHER_SIGMA = 2.0
INPAINT_RADIUS = 3
RING = 6


def _dilation(shape: tuple[int, ...]) -> int:
    return int(min(12, max(3, round(max(shape[:2]) / 200))))


def _score(filled: np.ndarray, hole: np.ndarray, known: np.ndarray) -> float:
    lab = cv2.cvtColor(filled.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ring = (cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))) > 0)
    ring &= (hole == 0) & known
    inside = hole > 0
    if not ring.any() or not inside.any():
        return 0.0
    lightness = lab[..., 0]
    gradient = np.hypot(cv2.Sobel(lightness, cv2.CV_32F, 1, 0), cv2.Sobel(lightness, cv2.CV_32F, 0, 1)) / 8.0
    g_fill, g_ring = float(gradient[inside].mean()), float(gradient[ring].mean())
    s_ring = float(np.sqrt(lab[ring].var(axis=0).sum()))
    return round(float(np.clip(min(1.0, (g_fill + 1) / (g_ring + 1)) * np.exp(-s_ring / 40), 0.0, 1.0)), 3)


def _two_scale_inpaint(rgb: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    fine = cv2.inpaint(rgb, unknown, INPAINT_RADIUS, cv2.INPAINT_NS)
    depth = cv2.distanceTransform(unknown, cv2.DIST_L2, 5)
    ramp = min(24.0, 0.5 * float(depth.max()))
    if ramp < 4 or min(rgb.shape[:2]) < 32:
        return fine
    coarse_rgb = _cv.resize_to(rgb, 0.25)
    coarse_unknown = np.where(_cv.resize_to(unknown, 0.25) > 0, 255, 0).astype(np.uint8)
    coarse = cv2.inpaint(coarse_rgb, coarse_unknown, INPAINT_RADIUS, cv2.INPAINT_NS)
    coarse = cv2.resize(coarse, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_CUBIC)
    weight = np.clip(depth / ramp * 255, 0, 255).astype(np.uint8)
    return blend(fine, coarse, weight)


def fast_inpaint(ctx: BrickContext, image: np.ndarray, mask: np.ndarray) -> dict:
    _cv.check_mask(image, mask, "FASTINPAINT")
    share = float((mask > 0).mean())
    if share > MAX_HOLE_SHARE:
        raise BrickError(f"FASTINPAINT offline: the mask covers {100 * share:.0f}% of the image; filling that much from "
                         f"its edges only smears them (at most {100 * MAX_HOLE_SHARE:.0f}% offline); the inpainting "
                         "model paints new content: run `lego-edit models pull lama`")
    d = _dilation(image.shape)
    hole = cv2.dilate(np.where(mask > 0, 255, 0).astype(np.uint8),
                      cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1)))
    x0, y0, x1, y1 = imageops.nonempty_bbox(hole, margin=4 * d + 16)
    crop = np.ascontiguousarray(image[y0:y1, x0:x1, :3])
    hole_c = hole[y0:y1, x0:x1]
    known = image[y0:y1, x0:x1, 3] > 0  # transparent pixels carry no colour: never copy from them
    unknown = np.where((hole_c > 0) | ~known, 255, 0).astype(np.uint8)
    if unknown.all():
        raise BrickError("FASTINPAINT: the mask covers the whole (visible) image, so there is nothing to fill from")

    scale = min(1.0, float(np.sqrt(MAX_HOLE_PIXELS / max(1, int(np.count_nonzero(unknown))))))
    small = _cv.resize_to(crop, scale)
    small_unknown = np.where(_cv.resize_to(unknown, scale) > 0, 255, 0).astype(np.uint8)
    ctx.progress(0.2, "inpainting")
    ctx.raise_if_cancelled()
    filled = _two_scale_inpaint(small, small_unknown)
    small_hole = np.where(_cv.resize_to(hole_c, scale) > 0, 255, 0).astype(np.uint8)
    small_known = _cv.resize_to(known.astype(np.uint8), scale) > 0
    score = _score(filled, small_hole, small_known)
    ctx.raise_if_cancelled()
    if scale < 1.0:
        filled = cv2.resize(filled, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_CUBIC)
        filled[unknown == 0] = crop[unknown == 0]  # the feathered rim blends with sharp pixels, not blurred ones

    feather = cv2.GaussianBlur(hole_c, (0, 0), FEATHER_SIGMA)
    weight = np.maximum(feather, hole_c)
    out = image.copy()
    out[y0:y1, x0:x1, :3] = blend(crop, filled, weight)
    # Beyond the feathered rim nothing may change; inside the mask the removal must show.
    reach = np.zeros(mask.shape, np.uint8)
    reach[y0:y1, x0:x1] = np.where(weight > 0, 255, 0)
    _cv.verify_edit("FASTINPAINT", image, out, mask, outside=reach == 0, what="the fill",
                    fix="the masked area already looks like its surroundings")
    ctx.progress(1.0, "done")
    return {"image": out, "score": score}
