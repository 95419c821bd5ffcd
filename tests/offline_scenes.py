"""Scenes with known truth for the offline-honesty set (tests/data/offline_truth.jsonl).

Each scene is a real photo from scikit-image, sometimes with an object painted in whose mask is
therefore known exactly; scenes are built at test time, so no image is committed. A scene returns
(RGB uint8 photo, {truth name: uint8 mask}).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Scene = tuple[np.ndarray, dict[str, np.ndarray]]


def _tinted_square(photo: np.ndarray, box: tuple[int, int, int, int], rgb: tuple[int, int, int]) -> np.ndarray:
    """Paint a square that keeps the photo's shading (its luminance times a colour), returning its mask."""
    x0, y0, x1, y1 = box
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[y0:y1, x0:x1] = 255
    lum = photo[y0:y1, x0:x1].mean(axis=2, keepdims=True) / 255.0
    shade = 0.55 + 0.45 * lum
    photo[y0:y1, x0:x1] = (shade * np.array(rgb, float)).clip(0, 255).astype(np.uint8)
    return mask


def rocket_ball() -> Scene:
    from lego_edit.bricks.samples import red_ball_sample

    image, truth = red_ball_sample(640)
    return image[..., :3].copy(), {"red ball": truth}


def coffee_blue_squares() -> Scene:
    from skimage import data

    photo = data.coffee().copy()  # 600 x 400
    left = _tinted_square(photo, (40, 40, 130, 130), (30, 60, 220))
    right = _tinted_square(photo, (470, 260, 560, 350), (30, 60, 220))
    return photo, {"left blue square": left, "right blue square": right, "blue squares": left | right}


def grass_horse() -> Scene:
    import cv2
    from skimage import data

    grass = data.grass()  # 512 x 512 grey texture
    photo = np.dstack([grass * 0.55, grass * 0.85, grass * 0.35]).clip(0, 255).astype(np.uint8)
    horse = cv2.resize(data.horse().astype(np.uint8) * 255, (300, 246), interpolation=cv2.INTER_NEAREST)
    horse = 255 - horse  # the silhouette is the dark part of the picture
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[200:446, 100:400] = horse
    brown = np.array([120, 72, 38], float) * (0.8 + 0.4 * grass[..., None] / 255.0)
    photo[mask > 0] = brown.clip(0, 255).astype(np.uint8)[mask > 0]
    return photo, {"horse": mask}


def motorbike() -> Scene:
    from skimage import data

    left, _, _ = data.stereo_motorcycle()
    return left.copy(), {}


def astronaut() -> Scene:
    from skimage import data

    return data.astronaut().copy(), {}


def chelsea() -> Scene:
    from skimage import data

    return data.chelsea().copy(), {}


SCENES: dict[str, Callable[[], Scene]] = {
    "rocket_ball": rocket_ball, "coffee_blue_squares": coffee_blue_squares, "grass_horse": grass_horse,
    "motorbike": motorbike, "astronaut": astronaut, "chelsea": chelsea,
}
