"""CMI-PRED offline: canvas expansion for outpainting, and a rough caption from colour statistics.

Captioning needs a model. Offline the caption is a deterministic description of what statistics
can tell — brightness, shape, the dominant colour names, transparency — e.g. "a bright, wide image
with mostly white and gray tones". It is true of the image but says nothing of its content; the
catalog's constraint text says so, so the Builder knows not to rely on it. Its main use, the prompt
of FLUX-STYLE in the reference workflows, is ignored by the offline style filters anyway.

With ratios the canvas grows as the reference Lego-Edit does (`outpaint_canvas`, meant for the
model backend too): all four ratios or none; a side grows by int(width x (ratio - 1)) (left/right) or
int(height x (ratio - 1)) (top/bottom), so 1.0 leaves it as it is; four equal ratios r other than 1
become 0.5 r + 0.5 each, so 2.0 makes the whole picture twice as large; the canvas is then resized to
a long side of 1024 px, the short side rounded to a multiple of 64 (768 x 512 with 2.0 everywhere:
1536 x 1024, then 1024 x 704), so the output never exceeds 1024 x 1024. The new pixels are
transparent (alpha 0; their RGB repeats the nearest edge, a neutral start for an outpainter) and the
output mask is 255 there.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.builtin import _cv, vocab
from lego_edit.bricks.registry import BrickContext, BrickError

LONG_SIDE = 1024  # the outpainting canvas's long side, as the reference sizes it for FLUX Fill
MAX_CANVAS_RATIO = 5.0  # a side grows by at most 4x the width / height
Ratios = tuple[float, float, float, float]


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


def canvas_ratios(left_ratio=None, right_ratio=None, top_ratio=None, bottom_ratio=None) -> Ratios | None:
    """The four ratios checked (each 1 .. MAX_CANVAS_RATIO), with the reference's rule for four equal
    ones (r -> 0.5 r + 0.5); None when all four are null (caption only). BrickError for some null."""
    given = {"left": left_ratio, "right": right_ratio, "top": top_ratio, "bottom": bottom_ratio}
    missing = [side for side, v in given.items() if v is None]
    if len(missing) == 4:
        return None
    if missing:
        raise BrickError(f"CMI-PRED needs all four ratios or none: {', '.join(m + '_ratio' for m in missing)} "
                         "missing (1.0 leaves a side as it is)")
    ratios = []
    for side, value in given.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BrickError(f"CMI-PRED {side}_ratio must be a number, got {value!r}") from None
        if not 1.0 <= number <= MAX_CANVAS_RATIO:
            raise BrickError(f"CMI-PRED {side}_ratio must be between 1 (unchanged) and {MAX_CANVAS_RATIO:g}, got {value}")
        ratios.append(number)
    if ratios[0] == ratios[1] == ratios[2] == ratios[3] == 1.0:
        raise BrickError("CMI-PRED: nothing to expand: all four ratios are 1.0 (unchanged); give a side more than "
                         "1.0 to grow it, or null for all four to only caption the image")
    if ratios[0] == ratios[1] == ratios[2] == ratios[3]:
        ratios = [0.5 * r + 0.5 for r in ratios]  # the whole picture r times as large
    return ratios[0], ratios[1], ratios[2], ratios[3]


def canvas_borders(shape: tuple[int, ...], ratios: Ratios) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) pixels added before the resize, truncated as the reference does."""
    h, w = shape[:2]
    left, right, top, bottom = ratios
    return int(w * (left - 1)), int(w * (right - 1)), int(h * (top - 1)), int(h * (bottom - 1))


def _multiple_of_64(x: float) -> int:
    return max(64, int(round(x / 64) * 64))


def canvas_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) the grown canvas is resized to: long side LONG_SIDE, the other a multiple of 64."""
    if width > height:
        return LONG_SIDE, _multiple_of_64(LONG_SIDE * height / width)
    return _multiple_of_64(LONG_SIDE * width / height), LONG_SIDE


def _kept(size: int, grown: int, start: int, length: int) -> tuple[int, int]:
    """[first, end) of the `size` output pixels that nearest-neighbour resampling (OpenCV's rule: source
    = floor(x * grown / size)) takes from the original's span [start, start + length) of `grown`."""
    source = np.minimum(np.floor(np.arange(size) * (grown / size)).astype(np.int64), grown - 1)
    inside = np.flatnonzero((source >= start) & (source < start + length))
    return int(inside[0]), int(inside[-1]) + 1


def outpaint_canvas(image: np.ndarray, ratios: Ratios) -> tuple[np.ndarray, np.ndarray]:
    """(canvas, mask) of CMI-PRED for checked `ratios`, at canvas_size of the grown canvas. The mask
    (255 on the new area) is exactly the reference's (the grown mask resized nearest-neighbour); the
    original is resized (area averaging) into the part the mask keeps, and the new pixels are
    transparent with the edge's RGB. The grown canvas itself is never allocated, so the output is at
    most LONG_SIDE square whatever the ratios."""
    h, w = image.shape[:2]
    left, right, top, bottom = canvas_borders(image.shape, ratios)
    grown_w, grown_h = w + left + right, h + top + bottom
    out_w, out_h = canvas_size(grown_w, grown_h)
    x0, x1 = _kept(out_w, grown_w, left, w)
    y0, y1 = _kept(out_h, grown_h, top, h)
    inner = cv2.resize(np.ascontiguousarray(image), (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    borders = (y0, out_h - y1, x0, out_w - x1)
    rgb = cv2.copyMakeBorder(np.ascontiguousarray(inner[..., :3]), *borders, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(np.ascontiguousarray(inner[..., 3]), *borders, cv2.BORDER_CONSTANT, value=0)
    mask = np.full((out_h, out_w), 255, np.uint8)
    mask[y0:y1, x0:x1] = 0
    return np.dstack([rgb, alpha]), mask


def caption_and_expand(ctx: BrickContext, image: np.ndarray, left_ratio=None, right_ratio=None,
                       top_ratio=None, bottom_ratio=None) -> dict:
    ratios = canvas_ratios(left_ratio, right_ratio, top_ratio, bottom_ratio)
    if ratios is None:
        return {"caption": rough_caption(image), "image": None, "mask": None}
    canvas, mask = outpaint_canvas(image, ratios)
    return {"caption": rough_caption(image), "image": canvas, "mask": mask}
