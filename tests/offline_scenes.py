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


def _polygon(shape: tuple[int, ...], *polygons: list[tuple[int, int]]) -> np.ndarray:
    """A 0/255 mask of filled polygons given as (x, y) vertices traced on the photo."""
    import cv2

    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.array(p, np.int32) for p in polygons], 255)
    return mask


def _top_connected(region: np.ndarray) -> np.ndarray:
    """The parts of a 0/255 region that touch the top row."""
    import cv2

    n, labels = cv2.connectedComponents((region > 0).astype(np.uint8))
    keep = [i for i in range(1, n) if (labels[0] == i).any()]
    return np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)


def motorbike() -> Scene:
    """The red Yamaha in a garage: its red bodywork, the bike, the floor and the background (traced)."""
    from skimage import data

    photo = data.stereo_motorcycle()[0].copy()  # 741 x 500
    bike = _polygon(photo.shape, [(92, 198), (140, 150), (300, 160), (345, 130), (400, 120), (440, 95), (500, 70),
                                  (545, 95), (580, 120), (585, 150), (555, 200), (545, 220), (600, 260), (640, 280),
                                  (680, 350), (680, 420), (640, 452), (580, 450), (530, 400), (505, 330), (470, 360),
                                  (420, 375), (350, 380), (345, 435), (325, 440), (320, 370), (280, 360), (250, 390),
                                  (200, 402), (150, 385), (122, 335), (125, 262), (100, 245)])
    r, g, b = (photo[..., i].astype(int) for i in range(3))
    red = (r > 110) & (r > 2 * g) & (r > 1.8 * b)
    bodywork = np.where(red & (bike > 0), 255, 0).astype(np.uint8)
    floor = _polygon(photo.shape, [(0, 232), (60, 230), (60, 300), (120, 300), (130, 262), (560, 262), (700, 298),
                                   (741, 300), (741, 500), (0, 500)])
    floor[bike > 0] = 0
    return photo, {"red bodywork": bodywork, "bike": bike, "floor": floor, "background": 255 - bike}


def astronaut() -> Scene:
    """Eileen Collins in her suit, with the helmet beside her: the person (suit and helmet traced as one
    foreground), the orange suit, and the background (studio backdrop, flag, shuttle model)."""
    import cv2
    from skimage import data

    photo = data.astronaut().copy()  # 512 x 512
    person = _polygon(photo.shape, [(222, 14), (252, 18), (282, 36), (298, 62), (300, 98), (292, 118), (262, 140),
                                    (256, 168), (282, 184), (302, 202), (304, 240), (330, 250), (352, 285),
                                    (360, 320), (358, 362), (380, 350), (410, 343), (440, 345), (470, 358),
                                    (492, 380), (505, 410), (512, 430), (512, 512), (20, 512), (20, 440), (22, 380),
                                    (30, 320), (45, 280), (62, 245), (95, 215), (118, 205), (112, 190), (125, 165),
                                    (150, 152), (182, 148), (182, 130), (160, 112), (152, 60), (165, 35), (190, 20)])
    hsv = cv2.cvtColor(photo, cv2.COLOR_RGB2HSV)
    orange = (hsv[..., 0] <= 20) & (hsv[..., 1] >= 110) & (hsv[..., 2] >= 90) & (person > 0)
    suit = cv2.morphologyEx(np.where(orange, 255, 0).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    suit[:160] = 0  # the face and hair are skin and blond, not the suit
    # The helmet on the table beside her is neither person nor backdrop: a background edit may take it or not.
    helmet = np.zeros(photo.shape[:2], np.uint8)
    cv2.ellipse(helmet, (398, 452), (120, 112), 0, 0, 360, 255, thickness=-1)
    helmet[:, :280] = 0
    badge = np.zeros(photo.shape[:2], np.uint8)  # the purple mission patch on her chest
    cv2.circle(badge, (170, 385), 38, 255, thickness=-1)
    return photo, {"person": person, "suit": suit, "background": 255 - person, "helmet": helmet, "badge": badge}


def chelsea() -> Scene:
    """Chelsea the cat fills most of the frame; the background is the blurred room on the right (traced)."""
    from skimage import data

    photo = data.chelsea().copy()  # 451 x 300
    cat = _polygon(photo.shape, [(0, 0), (330, 0), (345, 20), (360, 60), (375, 100), (385, 160), (380, 220),
                                 (370, 300), (0, 300)])
    return photo, {"cat": cat, "background": 255 - cat}


def camera() -> Scene:
    """The cameraman on a lawn: the man with his camera (traced), the tripod, the sky (bright pixels above
    the skyline, connected to the top) and the ground (the lawn below the horizon)."""
    import cv2
    from skimage import data

    gray = data.camera()  # 512 x 512
    photo = np.dstack([gray] * 3)
    person = _polygon(photo.shape, [(0, 250), (20, 235), (60, 190), (100, 150), (130, 125), (155, 108), (165, 80),
                                    (185, 66), (215, 64), (245, 75), (265, 95), (270, 125), (262, 140), (325, 140),
                                    (328, 165), (332, 185), (330, 200), (310, 225), (300, 240), (290, 290),
                                    (250, 305), (200, 320), (160, 340), (150, 400), (150, 512), (0, 512)])
    tripod = np.zeros(gray.shape, np.uint8)
    for end in ((235, 500), (405, 505), (295, 490)):
        cv2.line(tripod, (295, 235), end, 255, thickness=12)
    cv2.rectangle(tripod, (275, 300), (340, 340), 255, thickness=-1)
    rows = np.arange(gray.shape[0])[:, None]
    sky = _top_connected(np.where((gray > 175) & (rows < 200) & (person == 0), 255, 0).astype(np.uint8))
    ground = np.where((rows >= 238) & (person == 0) & (tripod == 0), 255, 0).astype(np.uint8)
    foreground = np.maximum(person, tripod)
    return photo, {"person": person, "sky": sky, "ground": ground, "background": 255 - foreground}


def rocket() -> Scene:
    """The Falcon 9 on its pad at dusk: the sky (blue pixels above the clouds on the horizon, between and
    through the lattice towers) and the ground (the strip below the horizon)."""
    from skimage import data

    photo = data.rocket().copy()  # 640 x 427
    r, b = photo[..., 0].astype(int), photo[..., 2].astype(int)
    rows = np.arange(photo.shape[0])[:, None]
    sky = np.where(((b > r + 12) & (rows < 360)) | ((b > r) & (rows < 398) & (photo.max(axis=2) < 150)), 255, 0)
    sky = sky.astype(np.uint8)
    ground = np.where(rows >= 400, 255, 0).astype(np.uint8) * np.ones((1, photo.shape[1]), np.uint8)
    return photo, {"sky": sky, "ground": ground}


def coffee() -> Scene:
    """An espresso on its saucer on a wooden table: the cup, saucer and spoon traced as ellipses and a
    polygon; the table is the rest."""
    import cv2
    from skimage import data

    photo = data.coffee().copy()  # 600 x 400
    things = np.zeros(photo.shape[:2], np.uint8)
    cv2.ellipse(things, (278, 232), (202, 157), 0, 0, 360, 255, thickness=-1)  # the saucer
    cv2.ellipse(things, (291, 112), (120, 96), 0, 0, 360, 255, thickness=-1)  # the cup's rim
    spoon = _polygon(photo.shape, [(400, 70), (423, 66), (415, 110), (395, 230), (405, 290), (390, 322), (340, 326),
                                   (325, 290), (345, 250), (378, 225), (395, 110)])
    things = np.maximum(things, spoon)
    saucer = np.zeros_like(things)
    cv2.ellipse(saucer, (278, 232), (202, 157), 0, 0, 360, 255, thickness=-1)
    return photo, {"cup and saucer": things, "table": 255 - things}


SCENES: dict[str, Callable[[], Scene]] = {
    "rocket_ball": rocket_ball, "coffee_blue_squares": coffee_blue_squares, "grass_horse": grass_horse,
    "motorbike": motorbike, "astronaut": astronaut, "chelsea": chelsea, "camera": camera, "rocket": rocket,
    "coffee": coffee,
}
