"""Small OpenCV helpers the classical backends share: prompt words, working resolution, mask checks."""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.registry import BrickError, NeedsSelection


def words(text: str | None) -> list[str]:
    """Lower-case words of a prompt; hyphens and punctuation split words ('black-and-white')."""
    return re.findall(r"[a-z0-9']+", (text or "").lower().replace("’", "'"))


def has_phrase(tokens: list[str], phrase: str) -> bool:
    """Whether the word sequence `phrase` occurs in `tokens`."""
    target = phrase.split()
    n = len(target)
    return any(tokens[i:i + n] == target for i in range(len(tokens) - n + 1))


def scale_for(shape: tuple[int, ...], long_side: int) -> float:
    """Factor (<= 1) that brings the longer side of `shape` down to `long_side`."""
    return min(1.0, long_side / float(max(shape[0], shape[1])))


def resize_to(array: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return np.ascontiguousarray(array)
    h, w = array.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def upscale_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A low-resolution binary mask back at full size, with smooth (anti-aliased) edges."""
    h, w = shape[:2]
    if mask.shape[:2] == (h, w):
        return mask
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)


def smooth_edges(mask: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Round off jagged mask edges: blur, threshold, then a one-pixel anti-aliased rim."""
    if sigma <= 0:
        return mask
    blurred = cv2.GaussianBlur(mask, (0, 0), sigma)
    binary = np.where(blurred >= 128, 255, 0).astype(np.uint8)
    return cv2.GaussianBlur(binary, (0, 0), 0.7)


def fill_holes(binary: np.ndarray, max_hole: int | None = None) -> np.ndarray:
    """Fill enclosed holes of a 0/255 mask (only holes up to `max_hole` pixels when given)."""
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    out = binary.copy()
    if hierarchy is None:
        return out
    for i, contour in enumerate(contours):
        if hierarchy[0][i][3] >= 0 and (max_hole is None or cv2.contourArea(contour) <= max_hole):
            cv2.drawContours(out, [contour], -1, 255, thickness=cv2.FILLED)
    return out


def components(binary: np.ndarray, min_area: int = 1) -> list[tuple[np.ndarray, int, tuple[float, float]]]:
    """Connected components of a 0/255 mask as (mask, area, (cx, cy)), largest first."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats((binary > 0).astype(np.uint8), connectivity=8)
    found = []
    for i in range(1, n):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area >= min_area:
            found.append((np.where(labels == i, 255, 0).astype(np.uint8), area, (float(centroids[i][0]), float(centroids[i][1]))))
    found.sort(key=lambda c: -c[1])
    return found


def check_mask(image: np.ndarray, mask: np.ndarray, brick: str, *, allow_empty: bool = False) -> None:
    check_mask_size(image, mask, brick)
    if not allow_empty and not mask.any():
        raise BrickError(f"{brick}: the mask is empty, so there is nothing to work on")


# --- confidence before success ------------------------------------------------------------------

# A pixel is visibly changed when one of its channels (RGBA, 0..255) moved by at least VISIBLE_STEP;
# an edit is visible when at least VISIBLE_FRACTION of the pixels it was asked to change (the mask's
# pixels >= 128, or the whole image, counting only pixels that were not fully transparent) are.
VISIBLE_STEP = 10
VISIBLE_FRACTION = 0.25
SELECT_OR_MODEL = ("select it (in Krita or GIMP the selection becomes the mask; on the command line, --mask FILE), "
                   "or pull the segmentation model (`lego-edit models pull grounded-sam`)")


def visibly_changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Boolean map of the pixels whose RGB(A) moved by at least VISIBLE_STEP in some channel."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16))
    return diff.max(axis=2) >= VISIBLE_STEP if diff.ndim == 3 else diff >= VISIBLE_STEP


def verify_edit(brick: str, before: np.ndarray, after: np.ndarray, mask: np.ndarray | None = None, *,
                outside: np.ndarray | None = None, what: str = "the edit", fix: str = "") -> None:
    """A BrickError unless the edit is visible where it was asked for and nothing else changed.

    `before` / `after` are RGBA images of one size. Inside: the mask's pixels >= 128 (the whole image
    without a mask). Outside: `outside` (a boolean map) when given, else the mask's zero pixels; they
    must be byte-identical.
    """
    keep = outside if outside is not None else (mask == 0 if mask is not None else None)
    if keep is not None and keep.any() and not np.array_equal(after[keep], before[keep]):
        raise BrickError(f"{brick}: {what} changed pixels outside the mask, so the result is not trusted")
    inside = np.ones(before.shape[:2], bool) if mask is None else mask >= 128
    if mask is not None and not inside.any():
        inside = mask > 0
    if before.ndim == 3 and before.shape[2] == 4 and (before[..., 3] > 0).any():
        inside = inside & (before[..., 3] > 0)
    fraction = float(visibly_changed(before, after)[inside].mean()) if inside.any() else 0.0
    if fraction < VISIBLE_FRACTION:
        where = " inside the mask" if mask is not None else ""
        raise BrickError(f"{brick}: nothing visible would change: {what} moves only {100 * fraction:.0f}% of the "
                         f"pixels{where} by {VISIBLE_STEP}/255 or more (at least {100 * VISIBLE_FRACTION:.0f}% "
                         f"must){'; ' + fix if fix else ''}")


# --- evidence of a person -----------------------------------------------------------------------

_SKIMAGE_FACES: Any = None  # scikit-image's Cascade once loaded, False when unavailable


def faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """Frontal faces as (x, y, w, h), largest first; None when no face detector is available.

    OpenCV's bundled Haar cascade (cv2.data, OpenCV 4 wheels) when present, else scikit-image's LBP
    frontal-face cascade (when scikit-image is installed). Nothing is downloaded.
    """
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    side = max(24, min(gray.shape) // 16)
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if folder:
        import os

        path = os.path.join(folder, "haarcascade_frontalface_default.xml")
        if os.path.exists(path):
            cascade = cv2.CascadeClassifier(path)
            if not cascade.empty():
                found = cascade.detectMultiScale(cv2.equalizeHist(gray), 1.1, 5, minSize=(side, side))
                return sorted(((int(x), int(y), int(w), int(h)) for x, y, w, h in found), key=lambda f: -f[2] * f[3])
    global _SKIMAGE_FACES
    if _SKIMAGE_FACES is None:
        try:
            from skimage import data
            from skimage.feature import Cascade
        except ImportError:
            _SKIMAGE_FACES = False
        else:
            _SKIMAGE_FACES = Cascade(data.lbp_frontal_face_cascade_filename())
    if _SKIMAGE_FACES is False:
        return None
    found = _SKIMAGE_FACES.detect_multi_scale(
        img=rgb[..., :3], scale_factor=1.2, step_ratio=1, min_size=(side, side),
        max_size=(min(gray.shape), min(gray.shape)))
    return sorted(((int(f["c"]), int(f["r"]), int(f["width"]), int(f["height"])) for f in found),
                  key=lambda f: -f[2] * f[3])


# --- does a mask follow the image's edges? -------------------------------------------------------

WEAK_EDGE_DELTA_E = 10.0  # colour difference across a mask edge below this: the edge runs through one surface
WEAK_EDGE_MAX = 0.08  # ... allowed on at most this share of a found region's edge (away from the frame)
_EDGE_SIDE = 320  # long side at which the edge is measured


def weak_edge_share(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Share of the mask's outline (away from the frame) where the two sides look alike.

    A region found by rules is only trusted when its outline follows real edges: where the mean
    CIELAB colour just inside and just outside differ by less than WEAK_EDGE_DELTA_E, the outline
    cuts through one surface (a cat's fur, a coat, one plain floor) and the region is the wrong shape.
    """
    scale = scale_for(rgb.shape, _EDGE_SIDE)
    small = resize_to(np.ascontiguousarray(rgb[..., :3]), scale)
    inside = (resize_to(mask, scale) > 127).astype(np.uint8)
    if not inside.any() or inside.all():
        return 0.0
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)

    def disk(r: int) -> np.ndarray:
        return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))

    def local_mean(band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        weight = cv2.GaussianBlur(band.astype(np.float32), (0, 0), 4)
        total = cv2.GaussianBlur(lab * band[..., None].astype(np.float32), (0, 0), 4)
        return total / np.maximum(weight, 1e-6)[..., None], weight

    inner, inner_w = local_mean((inside > 0) & (cv2.erode(inside, disk(3)) == 0))
    outer, outer_w = local_mean((cv2.dilate(inside, disk(3)) > 0) & (inside == 0))
    edge = (inside > 0) & (cv2.erode(inside, disk(1)) == 0)
    edge[:3], edge[-3:], edge[:, :3], edge[:, -3:] = False, False, False, False
    edge &= (inner_w > 0.05) & (outer_w > 0.05)
    if not edge.any():
        return 0.0
    return float((np.linalg.norm(inner - outer, axis=2)[edge] < WEAK_EDGE_DELTA_E).mean())


def check_edges(rgb: np.ndarray, mask: np.ndarray, what: str) -> None:
    """NeedsSelection when the region's outline runs through plain surfaces too much (weak_edge_share)."""
    weak = weak_edge_share(rgb, mask)
    if weak > WEAK_EDGE_MAX:
        raise NeedsSelection(f"{what} found offline does not follow the image's edges ({100 * weak:.0f}% of its "
                             f"outline cuts through a plain surface), so it is probably the wrong shape; "
                             + SELECT_OR_MODEL)
