"""Geometry bricks (CROP, ROTATE, FLIP) and GROW-MASK on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickError
from tests.brick_helpers import frozen, photo, run, with_soft_alpha


@pytest.fixture(scope="module")
def coffee():
    return photo("coffee")  # 600 x 400


@pytest.fixture(scope="module")
def chelsea():
    return photo("chelsea")  # 451 x 300


@pytest.mark.parametrize("aspect, ratio", [("16:9", 16 / 9), ("1:1", 1.0), ("square", 1.0), ("4:5", 0.8),
                                           ("2:1", 2.0), ("9:16", 9 / 16), ("5/4", 1.25)])
def test_crop_gives_the_ratio_within_a_pixel_and_is_centred(coffee, aspect, ratio):
    out = run("CROP", image=coffee, aspect=aspect)["image"]
    h, w = out.shape[:2]
    H, W = coffee.shape[:2]
    assert abs(w - h * ratio) <= 1 and abs(h - w / ratio) <= 1
    assert w == W or h == H  # the largest crop: one side is whole
    x0, y0 = (W - w) // 2, (H - h) // 2
    assert np.array_equal(out, coffee[y0:y0 + h, x0:x0 + w])
    assert abs(x0 - (W - w - x0)) <= 1 and abs(y0 - (H - h - y0)) <= 1


def test_crop_refuses_its_own_aspect_and_unknown_aspects(coffee):
    with pytest.raises(BrickError, match="nothing to change"):
        run("CROP", image=coffee, aspect="3:2")  # coffee is 600 x 400
    for bad in ("wide", "16:0", "-1:2", ""):
        with pytest.raises(BrickError, match="16:9.*square"):
            run("CROP", image=coffee, aspect=bad)


@pytest.mark.parametrize("angle, k", [(90, 1), (180, 2), (270, 3), (-90, 3), (450, 1)])
def test_rotate_right_angles_are_exact(chelsea, angle, k):
    assert np.array_equal(run("ROTATE", image=chelsea, angle=angle)["image"], np.rot90(chelsea, k))


def test_rotate_30_keeps_the_whole_image_with_transparent_corners(chelsea):
    image = chelsea
    out = run("ROTATE", image=image, angle=30)["image"]
    h, w = image.shape[:2]
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    assert abs(out.shape[1] - (w * c + h * s)) <= 1 and abs(out.shape[0] - (w * s + h * c)) <= 1
    for corner in (out[0, 0], out[0, -1], out[-1, 0], out[-1, -1]):
        assert corner[3] == 0
    opaque = (out[..., 3] == 255).sum()
    visible = (out[..., 3] > 0).sum()
    assert opaque <= h * w <= visible and visible - opaque < 2 * (h + w) * 1.5  # all of it, with an anti-aliased rim
    # the centre pixel is the original's centre, and counter-clockwise means the top-right corner moves up-left
    cy, cx = out.shape[0] // 2, out.shape[1] // 2
    assert np.abs(out[cy, cx, :3].astype(int) - image[h // 2, w // 2, :3].astype(int)).max() < 30
    marker = np.zeros_like(image)
    marker[..., 3] = 255
    marker[:20, -20:, :3] = 255
    turned = run("ROTATE", image=frozen(marker), angle=30)["image"]
    ys, xs = np.nonzero(turned[..., 0] > 128)
    assert ys.mean() < 0.25 * turned.shape[0]  # near the top edge: the top-right corner went up and left


def test_rotate_keeps_soft_alpha_and_refuses_zero(chelsea):
    image = with_soft_alpha(chelsea)
    assert np.array_equal(run("ROTATE", image=image, angle=180)["image"][..., 3], np.rot90(image, 2)[..., 3])
    for angle in (0, 360, -720):
        with pytest.raises(BrickError, match="nothing to change"):
            run("ROTATE", image=chelsea, angle=angle)


def test_flip_equals_numpy(chelsea):
    assert np.array_equal(run("FLIP", image=chelsea, direction="horizontal")["image"], np.fliplr(chelsea))
    assert np.array_equal(run("FLIP", image=chelsea, direction="vertical")["image"], np.flipud(chelsea))
    with pytest.raises(BrickError, match="'horizontal'.*'vertical'"):
        run("FLIP", image=chelsea, direction="diagonal")
    symmetric = frozen(np.full((8, 8, 4), 200, np.uint8))
    with pytest.raises(BrickError, match="nothing to change"):
        run("FLIP", image=symmetric, direction="horizontal")


@pytest.fixture(scope="module")
def disk():
    mask = np.zeros((300, 400), np.uint8)
    cv2.circle(mask, (200, 150), 60, 255, -1)
    return frozen(mask)


def test_grow_mask_grows_monotonically_and_erodes_with_negative(disk):
    area = lambda m: int((m >= 128).sum())  # noqa: E731
    areas = [area(run("GROW-MASK", mask=disk, pixels=p)["mask"]) for p in (-30, -10, -2, 2, 10, 30)]
    areas.insert(3, area(disk))
    assert all(a < b for a, b in zip(areas, areas[1:], strict=False))
    grown = run("GROW-MASK", mask=disk, pixels=10)["mask"]
    assert abs(area(grown) - np.pi * 70 ** 2) < 0.03 * np.pi * 70 ** 2  # a true (Euclidean) 10 px
    assert np.all(grown[disk > 0] == 255)
    eroded = run("GROW-MASK", mask=disk, pixels=-10)["mask"]
    assert abs(area(eroded) - np.pi * 50 ** 2) < 0.03 * np.pi * 50 ** 2
    assert np.all(eroded[disk == 0] == 0)


def test_grow_mask_fraction_of_the_long_side(disk):
    by_fraction = run("GROW-MASK", mask=disk, pixels=0.025)["mask"]  # 2.5 % of 400 = 10 px
    assert np.array_equal(by_fraction, run("GROW-MASK", mask=disk, pixels=10)["mask"])


def test_grow_mask_refuses_nothing_to_do(disk):
    for pixels in (0, 0.0):
        with pytest.raises(BrickError, match="nothing to change"):
            run("GROW-MASK", mask=disk, pixels=pixels)
    with pytest.raises(BrickError, match="empty"):
        run("GROW-MASK", mask=np.zeros((10, 10), np.uint8), pixels=3)
    with pytest.raises(BrickError, match="nothing to change"):
        run("GROW-MASK", mask=np.full((10, 10), 255, np.uint8), pixels=3)
