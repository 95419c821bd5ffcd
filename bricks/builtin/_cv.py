"""Small OpenCV helpers the classical backends share: prompt words, working resolution, mask checks."""

from __future__ import annotations

import re

import cv2
import numpy as np

from lego_edit.bricks.imageops import check_mask_size
from lego_edit.bricks.registry import BrickError


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
