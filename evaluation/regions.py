"""Where an edit changed the picture, measured against a truth mask of where it should have.

A pixel is changed when any of R, G, B or alpha moved by more than `CHANGE_LEVELS` of 255 (enough to
ignore a JPEG-like wobble, little enough to catch a visible smear). Against the truth mask: the IoU of the
changed region with the truth, how much the picture changed outside the truth (mean and max, in levels of
255), and the share of pixels outside the truth whose alpha stayed as it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

CHANGE_LEVELS = 8


@dataclass(frozen=True)
class RegionScores:
    iou: float  # |changed ∩ truth| / |changed ∪ truth| (1.0 when both are empty)
    changed_fraction: float  # share of the picture that changed
    outside_mean: float  # mean change outside the truth, levels of 255 (max over channels per pixel)
    outside_max: float  # largest change outside the truth, levels of 255
    alpha_kept: float  # share of pixels outside the truth whose alpha is unchanged (1.0: all)

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def _rgba(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 3:
        image = np.dstack([image, np.full(image.shape[:2], 255, image.dtype)])
    return image.astype(np.int16)


def change_map(source: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Per pixel, the largest change over R, G, B and alpha, in levels of 255 (same-size images)."""
    return np.abs(_rgba(result) - _rgba(source)).max(axis=2)


def changed_mask(source: np.ndarray, result: np.ndarray, levels: int = CHANGE_LEVELS) -> np.ndarray:
    """uint8 0/255: where the result differs from the source by more than `levels`."""
    return np.where(change_map(source, result) > levels, 255, 0).astype(np.uint8)


def region_scores(source: np.ndarray, result: np.ndarray, truth: np.ndarray,
                  levels: int = CHANGE_LEVELS) -> RegionScores | None:
    """The scores, or None when the result's size differs from the source's (a crop, an outpaint: no pixel
    correspondence to measure by)."""
    if result.shape[:2] != source.shape[:2] or truth.shape[:2] != source.shape[:2]:
        return None
    change = change_map(source, result)
    changed = change > levels
    inside = np.asarray(truth) > 127
    union = np.count_nonzero(changed | inside)
    iou = 1.0 if union == 0 else np.count_nonzero(changed & inside) / union
    outside = ~inside
    if np.any(outside):
        outside_change = change[outside]
        alpha_same = _rgba(result)[..., 3][outside] == _rgba(source)[..., 3][outside]
        mean, peak, kept = float(outside_change.mean()), float(outside_change.max()), float(alpha_same.mean())
    else:
        mean, peak, kept = 0.0, 0.0, 1.0
    return RegionScores(float(iou), float(changed.mean()), mean, peak, kept)
