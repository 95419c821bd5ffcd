"""Demo and test photos made from scikit-image's sample photos (a dev dependency, imported lazily)."""

from __future__ import annotations

import numpy as np


def red_ball_photo(size: int = 1024, centre: tuple[int, int] | None = None, radius: int | None = None):
    """scikit-image's coffee photo at size x size with a shaded red ball painted on; returns (RGBA image, truth mask)."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.coffee(), (size, size), interpolation=cv2.INTER_AREA)
    scale = size / 1024  # the defaults describe a 1024 px photo
    centre = centre or (round(640 * scale), round(380 * scale))
    radius = radius or max(4, round(150 * scale))
    truth = np.zeros((size, size), np.uint8)
    cv2.circle(truth, centre, radius, 255, -1)
    yy, xx = np.mgrid[0:size, 0:size]
    shade = 1.0 - 0.35 * ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius**2
    red = np.stack([210 * shade, 25 * shade, 30 * shade], axis=-1).clip(0, 255).astype(np.uint8)
    photo[truth > 0] = red[truth > 0]
    rgba = np.dstack([photo, np.full((size, size), 255, np.uint8)])
    return rgba, truth
