"""Demo and test photos made from scikit-image's sample photos (a dev dependency, imported lazily)."""

from __future__ import annotations

import numpy as np


def red_ball_photo(size: int = 1024, centre: tuple[int, int] | None = None, radius: int | None = None):
    """scikit-image's rocket photo (a launch pad at dusk, nothing red in it) stretched to size x size with a
    shaded red ball painted in the sky; returns (RGBA image, truth mask). The tests' square photo; the
    `lego-edit sample` photo, at its own aspect ratio, is `red_ball_sample`."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.rocket(), (size, size), interpolation=cv2.INTER_CUBIC)
    scale = size / 1024  # the defaults describe a 1024 px photo: open sky above the rocket
    centre = centre or (round(560 * scale), round(160 * scale))
    radius = radius or max(4, round(100 * scale))
    return _paint_ball(photo, centre, radius)


def red_ball_sample(long_side: int = 1024):
    """The same photo at its own aspect ratio (640 x 427: 3:2), `long_side` pixels wide, with the red ball in
    the sky left of the rocket's tip; returns (RGBA image, truth mask)."""
    import cv2
    from skimage import data

    rocket = data.rocket()
    height, width = rocket.shape[:2]
    scale = long_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    photo = cv2.resize(rocket, size, interpolation=interpolation)
    return _paint_ball(photo, (round(0.56 * size[0]), round(0.16 * size[1])), max(4, round(0.06 * size[0])))


def _paint_ball(photo: np.ndarray, centre: tuple[int, int], radius: int):
    import cv2

    height, width = photo.shape[:2]
    truth = np.zeros((height, width), np.uint8)
    cv2.circle(truth, centre, radius, 255, -1)
    yy, xx = np.mgrid[0:height, 0:width]
    shade = 1.0 - 0.35 * ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius**2
    red = np.stack([210 * shade, 25 * shade, 30 * shade], axis=-1).clip(0, 255).astype(np.uint8)
    photo[truth > 0] = red[truth > 0]
    rgba = np.dstack([photo, np.full((height, width), 255, np.uint8)])
    return rgba, truth
