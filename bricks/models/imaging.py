"""Pixel plumbing between the brick values (RGBA / mask uint8 arrays) and the models (RGB PIL images).

Kept free of torch so the geometry (working sizes, context crops) is testable alone; what the classical
backends share too (boxes, cut-outs, the CMI-PRED canvas) is in bricks/imageops.py.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from lego_edit.bricks.imageops import bbox


def rgb_pil(image: np.ndarray) -> Image.Image:
    """The RGB a model sees: fully transparent pixels become white (their colour means nothing)."""
    rgb = np.ascontiguousarray(image[..., :3]).copy()
    rgb[image[..., 3] == 0] = 255
    return Image.fromarray(rgb, "RGB")


def binary(mask: np.ndarray, threshold: int = 127) -> np.ndarray:
    return np.where(mask > threshold, 255, 0).astype(np.uint8)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel)


def feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    """Soft edges for pasting generated pixels back; zero stays zero only far from the mask."""
    if sigma <= 0:
        return mask
    return cv2.GaussianBlur(mask, (0, 0), sigma)


def smooth_mask(prob: np.ndarray, threshold: float) -> np.ndarray:
    """A probability map (0..1, full size) as a mask with a one-pixel anti-aliased rim."""
    hard = np.where(prob >= threshold, 255, 0).astype(np.uint8)
    return cv2.GaussianBlur(hard, (0, 0), 0.7) if hard.any() else hard


def working_size(width: int, height: int, long_side: int, multiple: int) -> tuple[int, int]:
    """(w, h) with the long side at `long_side` and both multiples of `multiple` (what the model accepts)."""
    scale = long_side / max(width, height)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


def context_box(mask: np.ndarray, grow: float = 1.0, min_side: int = 0) -> tuple[int, int, int, int]:
    """A box around the mask with `grow` times its size of surroundings each way (at least `min_side`
    px wide/high when the image allows): generating in a crop keeps detail on large layers."""
    h, w = mask.shape[:2]
    box = bbox(mask)
    if box is None:
        return 0, 0, w, h
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    pad_x = max(int(bw * grow / 2), (min_side - bw + 1) // 2, 0)
    pad_y = max(int(bh * grow / 2), (min_side - bh + 1) // 2, 0)
    x0, x1 = max(0, x0 - pad_x), min(w, x1 + pad_x)
    y0, y1 = max(0, y0 - pad_y), min(h, y1 + pad_y)
    return x0, y0, x1, y1


def resize_rgb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if rgb.shape[1] == w and rgb.shape[0] == h:
        return rgb
    shrinking = w * h < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def paste(base: np.ndarray, generated_rgb: np.ndarray, weight: np.ndarray, box: tuple[int, int, int, int],
          *, opaque: bool = False) -> np.ndarray:
    """`base` (RGBA) with `generated_rgb` (the box's size) blended in by `weight` (0..255, the box's size).

    Pixels where the weight is 0 keep their exact bytes. `opaque`: generated pixels are opaque
    (a fill over a transparent canvas), else the alpha channel is kept.
    """
    x0, y0, x1, y1 = box
    out = base.copy()
    region = out[y0:y1, x0:x1]
    wgt = (weight.astype(np.float32) / 255.0)[..., None]
    mixed = region[..., :3].astype(np.float32) * (1 - wgt) + generated_rgb.astype(np.float32) * wgt
    rgb = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    keep = weight == 0
    rgb[keep] = region[..., :3][keep]
    region[..., :3] = rgb
    if opaque:
        alpha = region[..., 3].astype(np.float32) * (1 - wgt[..., 0]) + 255.0 * wgt[..., 0]
        region[..., 3] = np.where(keep, region[..., 3], np.clip(np.rint(alpha), 0, 255).astype(np.uint8))
    return out


def box_mask(shape: tuple[int, ...], box: tuple[float, float, float, float]) -> np.ndarray:
    """A filled rectangle mask; the box is clipped to the image."""
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    x0, x1 = sorted((max(0, min(w, math.floor(x0))), max(0, min(w, math.ceil(x1)))))
    y0, y1 = sorted((max(0, min(h, math.floor(y0))), max(0, min(h, math.ceil(y1)))))
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask
