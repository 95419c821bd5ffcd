"""Pixel helpers the classical and the model backends share: sizes, boxes, cut-outs, the CMI-PRED canvas.

One rule each, so the backends of one brick agree to the pixel (and the executor's size check says
the same as the bricks').
"""

from __future__ import annotations

import numpy as np

from lego_edit.bricks.registry import BrickError


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


