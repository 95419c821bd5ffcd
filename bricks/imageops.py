"""Pixel helpers the classical and the model backends share: sizes, boxes, cut-outs, the CMI-PRED canvas.

One rule each, so the backends of one brick agree to the pixel (and the executor's size check says
the same as the bricks').
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.registry import BrickError, check_pixels

MAX_RATIO = 4.0  # CMI-PRED: the most a side may grow, as a fraction of the width / height


def wxh(array: np.ndarray) -> str:
    """'W x H' of an image or mask, as messages write it ("640x480")."""
    return f"{array.shape[1]}x{array.shape[0]}"


def same_size(*arrays: np.ndarray) -> bool:
    """Whether the images / masks all have the same width and height."""
    return len({a.shape[:2] for a in arrays}) <= 1


def mask_size_problem(image: np.ndarray, mask: np.ndarray) -> str | None:
    """Why the mask does not fit the image ("the mask is 10x10 but the image is 20x20"), or None."""
    if same_size(image, mask):
        return None
    return f"the mask is {wxh(mask)} but the image is {wxh(image)}"


def check_mask_size(image: np.ndarray, mask: np.ndarray, brick: str) -> None:
    """A BrickError naming `brick` unless the mask has the image's size."""
    problem = mask_size_problem(image, mask)
    if problem is not None:
        raise BrickError(f"{brick}: {problem}")


def bbox(mask: np.ndarray, margin: int = 0) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the mask's non-zero pixels, x1/y1 exclusive, grown by `margin` and clipped to
    the image; None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    h, w = mask.shape[:2]
    return (max(0, int(xs.min()) - margin), max(0, int(ys.min()) - margin),
            min(w, int(xs.max()) + 1 + margin), min(h, int(ys.max()) + 1 + margin))


def nonempty_bbox(mask: np.ndarray, margin: int = 0) -> tuple[int, int, int, int]:
    """`bbox` of a mask the caller has checked is not empty (a ValueError if it is)."""
    box = bbox(mask, margin)
    if box is None:
        raise ValueError("the mask is empty, so it has no bounding box")
    return box


def cutout(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with its alpha multiplied by the mask: the object on a transparent background."""
    out = image.copy()
    out[..., 3] = ((image[..., 3].astype(np.uint16) * mask.astype(np.uint16) + 127) // 255).astype(np.uint8)
    return out


def canvas_ratio(value: float | None, side: str) -> float:
    """A CMI-PRED `<side>_ratio` checked (0 .. MAX_RATIO); None is 0."""
    if value is None:
        return 0.0
    value = float(value)
    if not 0.0 <= value <= MAX_RATIO:
        raise BrickError(f"CMI-PRED {side}_ratio must be between 0 and {MAX_RATIO:g}, got {value}")
    return value


def canvas_borders(shape: tuple[int, ...], left: float | None, right: float | None, top: float | None,
                   bottom: float | None) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) pixels CMI-PRED adds to an image of `shape` (ratios checked)."""
    h, w = shape[:2]
    lft, rgt, tp, btm = (round(canvas_ratio(r, side) * size) for r, side, size in
                         ((left, "left", w), (right, "right", w), (top, "top", h), (bottom, "bottom", h)))
    return lft, rgt, tp, btm


def check_canvas(shape: tuple[int, ...], left: float | None, right: float | None, top: float | None,
                 bottom: float | None, max_pixels: int | None) -> None:
    """BrickError when the expanded canvas would be over `max_pixels` (before anything is allocated)."""
    lft, rgt, tp, btm = canvas_borders(shape, left, right, top, bottom)
    h, w = shape[:2]
    check_pixels(w + lft + rgt, h + tp + btm, max_pixels, "CMI-PRED: the expanded canvas")


def expand_canvas(image: np.ndarray, left: float | None, right: float | None, top: float | None,
                  bottom: float | None, *, max_pixels: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The outpainting canvas of CMI-PRED: each side grows by ratio x width (left/right) or x height
    (top/bottom); new pixels are transparent (alpha 0; their RGB repeats the nearest edge, a neutral
    start for an outpainter); the mask is 255 exactly on the new area. None: no side grows. BrickError
    before allocating when the canvas would have more than `max_pixels` pixels."""
    h, w = image.shape[:2]
    lft, rgt, tp, btm = canvas_borders(image.shape, left, right, top, bottom)
    if not (lft or rgt or tp or btm):
        return None
    check_pixels(w + lft + rgt, h + tp + btm, max_pixels, "CMI-PRED: the expanded canvas")
    rgb = cv2.copyMakeBorder(np.ascontiguousarray(image[..., :3]), tp, btm, lft, rgt, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(np.ascontiguousarray(image[..., 3]), tp, btm, lft, rgt, cv2.BORDER_CONSTANT, value=0)
    mask = np.full(alpha.shape, 255, np.uint8)
    mask[tp:tp + h, lft:lft + w] = 0
    return np.dstack([rgb, alpha]), mask
