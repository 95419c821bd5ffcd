"""Demo and test photos made from scikit-image's sample photos (a dev dependency, imported lazily)."""

from __future__ import annotations

import numpy as np


def red_ball_photo(size: int = 1024, centre: tuple[int, int] | None = None, radius: int | None = None):
    """scikit-image's rocket photo (a launch pad at dusk, nothing red in it) at size x size with a
    shaded red ball painted in the sky; returns (RGBA image, truth mask)."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.rocket(), (size, size), interpolation=cv2.INTER_CUBIC)
    scale = size / 1024  # the defaults describe a 1024 px photo: open sky above the rocket
    centre = centre or (round(560 * scale), round(160 * scale))
    radius = radius or max(4, round(100 * scale))
    truth = np.zeros((size, size), np.uint8)
    cv2.circle(truth, centre, radius, 255, -1)
    yy, xx = np.mgrid[0:size, 0:size]
    shade = 1.0 - 0.35 * ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius**2
    red = np.stack([210 * shade, 25 * shade, 30 * shade], axis=-1).clip(0, 255).astype(np.uint8)
    photo[truth > 0] = red[truth > 0]
    rgba = np.dstack([photo, np.full((size, size), 255, np.uint8)])
    return rgba, truth
