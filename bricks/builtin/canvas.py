"""CMI-PRED offline: canvas expansion for outpainting, and a rough caption from colour statistics.

Captioning needs a model. Offline the caption is a deterministic description of what statistics
can tell — brightness, shape, the dominant colour names, transparency — e.g. "a bright, wide image
with mostly white and gray tones". It is true of the image but says nothing of its content; the
catalog's constraint text says so, so the Builder knows not to rely on it. Its main use, the prompt
of FLUX-STYLE in the reference workflows, is ignored by the offline style filters anyway.

With ratios, the canvas grows by ratio x width (left/right) or x height (top/bottom): the new pixels
are transparent (alpha 0; their RGB repeats the nearest edge, a neutral start for an outpainter) and
the output mask is 255 exactly there (bricks/imageops.py expand_canvas, which the model backend uses too).
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.builtin import _cv, vocab
from lego_edit.bricks.imageops import canvas_ratio, check_canvas, expand_canvas
from lego_edit.bricks.registry import BrickContext


def _colour_name(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Basic colour names of HSV pixels (OpenCV scale: H 0..180)."""
    names = np.full(h.shape, "gray", dtype=object)
    chromatic = (s >= 40) & (v >= 50)
    for lo, hi, name in vocab.CAPTION_HUES:
        names[chromatic & (h >= lo) & (h < hi)] = name
    names[chromatic & (h >= 5) & (h < 21) & (v < 150)] = "brown"
    names[~chromatic & (v > 200)] = "white"
    names[v < 50] = "black"
    return names


def rough_caption(image: np.ndarray) -> str:
    h, w = image.shape[:2]
    small = _cv.resize_to(image, _cv.scale_for(image.shape, 64))
    opaque = small[..., 3] > 127
    if not opaque.any():
        return "a fully transparent image"
    hsv = cv2.cvtColor(np.ascontiguousarray(small[..., :3]), cv2.COLOR_RGB2HSV)[opaque]
    names = _colour_name(hsv[:, 0], hsv[:, 1], hsv[:, 2])
    labels, counts = np.unique(names.astype(str), return_counts=True)
    order = sorted(zip(-counts, labels, strict=True))  # most frequent first, ties by name: deterministic
    shares = [(name, -c / len(names)) for c, name in order]
    top = [name for name, share in shares[:3] if share >= 0.15] or [shares[0][0]]
    adjectives = []
    mean_v = float(hsv[:, 2].mean())
    if mean_v < 80:
        adjectives.append("dark")
    elif mean_v > 180:
        adjectives.append("bright")
    if w > 1.3 * h:
        adjectives.append("wide")
    elif h > 1.3 * w:
        adjectives.append("tall")
    tones = top[0] if len(top) == 1 else ", ".join(top[:-1]) + " and " + top[-1]
    described = (", ".join(adjectives) + " image") if adjectives else "image"
    article = "an" if described[0] in "aeiou" else "a"
    caption = f"{article} {described} with mostly {tones} tones"
    if opaque.mean() < 0.9:
        caption += " on a transparent background"
    return caption


def caption_and_expand(ctx: BrickContext, image: np.ndarray, left_ratio=None, right_ratio=None,
                       top_ratio=None, bottom_ratio=None) -> dict:
    for value, side in ((left_ratio, "left"), (right_ratio, "right"), (top_ratio, "top"), (bottom_ratio, "bottom")):
        canvas_ratio(value, side)
    check_canvas(image.shape, left_ratio, right_ratio, top_ratio, bottom_ratio, ctx.max_pixels)
    caption = rough_caption(image)
    expanded = expand_canvas(image, left_ratio, right_ratio, top_ratio, bottom_ratio, max_pixels=ctx.max_pixels)
    if expanded is None:
        return {"caption": caption, "image": None, "mask": None}
    return {"caption": caption, "image": expanded[0], "mask": expanded[1]}
