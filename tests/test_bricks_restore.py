"""Restoration bricks on real photos: SHARPEN, DENOISE, DEHAZE, BLUR."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickContext, BrickError
from lego_edit.bricks.builtin import restore
from lego_edit.bricks.registry import Cancelled
from tests.brick_helpers import box_mask, frozen, laplacian_var, photo, psnr, run


@pytest.fixture(scope="module")
def astronaut():
    return photo("astronaut")


@pytest.fixture(scope="module")
def coffee():
    return photo("coffee")


@pytest.fixture(scope="module")
def rocket():
    return photo("rocket")


def test_sharpen_raises_the_laplacian_variance(astronaut):
    out = run("SHARPEN", image=astronaut, amount=0.5)["image"]
    assert laplacian_var(out) > 1.5 * laplacian_var(astronaut)
    softer = run("SHARPEN", image=astronaut, amount=-0.8)["image"]
    assert laplacian_var(softer) < 0.8 * laplacian_var(astronaut)


def test_sharpen_in_a_mask_only(astronaut):
    mask = box_mask(astronaut.shape, 0, 0, 256, 512)
    out = run("SHARPEN", image=astronaut, amount=0.7, mask=mask)["image"]
    assert np.array_equal(out[:, 256:], astronaut[:, 256:])
    assert laplacian_var(out[:, :250]) > 1.5 * laplacian_var(astronaut[:, :250])


def test_denoise_lowers_noise_and_keeps_edges(coffee):
    rng = np.random.default_rng(3)
    noisy = coffee.copy()
    noisy[..., :3] = np.clip(coffee[..., :3] + rng.normal(0, 15, coffee[..., :3].shape), 0, 255).astype(np.uint8)
    noisy = frozen(noisy)
    grey = lambda img: cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)  # noqa: E731
    assert restore.noise_sigma(grey(noisy)) > 2 * restore.noise_sigma(grey(coffee))  # the estimate sees the noise
    out = run("DENOISE", image=noisy, amount=0.8)["image"]
    residual = lambda img: (img[..., :3].astype(float) - coffee[..., :3]).std()  # noqa: E731
    assert residual(out) < 0.75 * residual(noisy)  # the noise std against the clean photo
    assert restore.noise_sigma(grey(out)) < 0.6 * restore.noise_sigma(grey(noisy))
    assert psnr(out, coffee) > psnr(noisy, coffee) + 2  # closer to the clean photo: edges were not smeared away
    assert np.array_equal(out[..., 3], noisy[..., 3])


def test_denoise_reports_progress_and_stops_when_cancelled(coffee):
    events = []
    run_ctx = BrickContext(progress=lambda f, m="": events.append((f, m)))
    restore.denoise(run_ctx, coffee, 0.3)
    assert len([m for _, m in events if m == "removing noise"]) >= 2  # one event per band of rows
    calls = []
    cancel_ctx = BrickContext(cancelled=lambda: bool(calls.append(1)) or len(calls) > 1)
    with pytest.raises(Cancelled):
        restore.denoise(cancel_ctx, coffee, 0.5)


def haze(image: np.ndarray) -> np.ndarray:
    """I = J t + A (1 - t): a bright airlight, thicker toward the top (as distance grows)."""
    clean = image[..., :3].astype(np.float32) / 255.0
    t = np.linspace(0.35, 0.8, image.shape[0], dtype=np.float32)[:, None, None]
    airlight = np.array([0.88, 0.9, 0.93], np.float32)
    hazy = np.clip(np.rint((clean * t + airlight * (1 - t)) * 255), 0, 255).astype(np.uint8)
    return frozen(np.dstack([hazy, image[..., 3]]))


def test_dehaze_restores_dark_channel_contrast_and_approaches_the_clean_photo(rocket):
    hazy = haze(rocket)
    out = run("DEHAZE", image=hazy, amount=1)["image"]
    dark = lambda img: restore.dark_channel(img[..., :3].astype(np.float32) / 255, 15)  # noqa: E731
    # haze lifts the dark channel (a clear photo's is near 0) and flattens the contrast; dehazing undoes both
    assert dark(hazy).mean() > dark(rocket).mean() + 0.25
    assert abs(dark(out).mean() - dark(rocket).mean()) < 0.06
    assert np.percentile(dark(out), 95) - np.percentile(dark(out), 5) > \
        1.1 * (np.percentile(dark(hazy), 95) - np.percentile(dark(hazy), 5))
    assert out[..., :3].std() > 1.3 * hazy[..., :3].std()
    assert psnr(out, rocket) > psnr(hazy, rocket) + 3
    lighter = run("DEHAZE", image=hazy, amount=0.3)["image"]
    assert psnr(hazy, rocket) < psnr(lighter, rocket) < psnr(out, rocket)


def test_dehaze_and_denoise_and_blur_refuse_negative_amounts(coffee):
    with pytest.raises(BrickError, match="FLUX-ENV"):
        run("DEHAZE", image=coffee, amount=-0.5)
    with pytest.raises(BrickError, match="0 and 1"):
        run("DENOISE", image=coffee, amount=-0.5)
    with pytest.raises(BrickError, match="SHARPEN"):
        run("BLUR", image=coffee, amount=-0.5)


def test_blur_lowers_laplacian_variance_inside_the_mask_only(astronaut):
    mask = box_mask(astronaut.shape, 150, 150, 350, 350)
    out = run("BLUR", image=astronaut, amount=0.5, mask=mask)["image"]
    assert laplacian_var(out[160:340, 160:340]) < 0.1 * laplacian_var(astronaut[160:340, 160:340])
    assert np.array_equal(out[mask == 0], astronaut[mask == 0])
    assert np.array_equal(out[..., 3], astronaut[..., 3])
    whole = run("BLUR", image=astronaut, amount=0.2)["image"]
    assert laplacian_var(whole) < 0.2 * laplacian_var(astronaut)


def test_stronger_blur_is_blurrier(coffee):
    variances = [laplacian_var(run("BLUR", image=coffee, amount=a)["image"]) for a in (0.1, 0.4, 1.0)]
    assert variances[0] > variances[1] > variances[2]


def test_denoise_refuses_a_photo_without_noise():
    """Reported: 'denoise the photo' on the cat reported success and left it no smoother."""
    clean = photo("chelsea")
    assert restore.noise_sigma(np.ascontiguousarray(clean[..., 1])) < restore.NOISE_MIN
    with pytest.raises(BrickError, match="almost no noise"):
        run("DENOISE", image=clean, amount=0.5)
    rng = np.random.default_rng(3)
    noisy = frozen(np.dstack([np.clip(clean[..., :3] + rng.normal(0, 10, clean[..., :3].shape), 0, 255)
                              .astype(np.uint8), clean[..., 3]]))
    out = run("DENOISE", image=noisy, amount=0.5)["image"]
    assert laplacian_var(out) < 0.85 * laplacian_var(noisy)


def test_blur_refuses_a_region_too_smooth_to_show_it():
    """Reported: 'blur the red ball' (a smooth disk, blurred from its own pixels) moved 0.1 % of the image."""
    rgb = np.full((200, 200, 3), 90, np.uint8)
    cv2.circle(rgb, (100, 100), 50, (200, 30, 30), -1)
    shade = np.linspace(-12, 12, 200)[None, :, None]  # gentle shading across it, as on a lit ball
    rgb = np.clip(rgb + shade, 0, 255).astype(np.uint8)
    image = frozen(np.dstack([rgb, np.full((200, 200), 255, np.uint8)]))
    disk = np.zeros((200, 200), np.uint8)
    cv2.circle(disk, (100, 100), 50, 255, -1)
    with pytest.raises(BrickError, match="already smooth"):
        run("BLUR", image=image, amount=0.6, mask=frozen(disk))


# --- SMOOTH -----------------------------------------------------------------------------------------

def _textured_step():
    """Fine grain on two flat halves with one strong edge between them."""
    rng = np.random.default_rng(3)
    rgb = np.zeros((120, 160, 3), np.float32)
    rgb[:, :80] = 70.0
    rgb[:, 80:] = 190.0
    rgb += rng.normal(0.0, 6.0, rgb.shape)
    image = np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), np.full((120, 160), 255, np.uint8)])
    return frozen(image)


def test_smooth_softens_fine_texture_and_keeps_the_edge():
    image = _textured_step()
    out = run("SMOOTH", image=image, amount=0.8)["image"]
    grain_before = image[10:110, 10:70, :3].astype(np.float32).std()
    grain_after = out[10:110, 10:70, :3].astype(np.float32).std()
    assert grain_after < 0.6 * grain_before  # the texture is smoother
    step_before = image[:, 85:95, :3].mean() - image[:, 65:75, :3].mean()
    step_after = out[:, 85:95, :3].mean() - out[:, 65:75, :3].mean()
    assert abs(step_after - step_before) < 3  # the edge keeps its height
    assert np.abs(out[:, 79, :3].astype(int) - out[:, 81, :3].astype(int)).mean() > 80  # and stays sharp


def test_smooth_in_a_mask_leaves_the_rest_and_keeps_alpha():
    image = _textured_step().copy()
    image[..., 3] = 200
    mask = box_mask(image.shape, 10, 10, 60, 60)
    out = run("SMOOTH", image=frozen(image), amount=0.6, mask=frozen(mask))["image"]
    outside = mask == 0
    assert np.array_equal(out[outside], image[outside]) and (out[..., 3] == 200).all()
    assert not np.array_equal(out[20:50, 20:50], image[20:50, 20:50])


def test_smooth_refuses_nothing_to_do_and_the_wrong_direction():
    flat = frozen(np.dstack([np.full((40, 40, 3), 128, np.uint8), np.full((40, 40), 255, np.uint8)]))
    with pytest.raises(BrickError, match="nothing to change"):
        run("SMOOTH", image=flat, amount=0.7)
    with pytest.raises(BrickError, match="SHARPEN"):
        run("SMOOTH", image=_textured_step(), amount=-0.5)


# --- PIXELATE ---------------------------------------------------------------------------------------


def test_pixelate_turns_the_whole_image_into_blocks_of_one_colour(astronaut):
    out = run("PIXELATE", image=frozen(astronaut), amount=0.5)["image"]
    block = restore.pixelate_block(astronaut.shape, 0.5)
    assert block == round(0.03 * max(astronaut.shape[:2]))
    h, w = astronaut.shape[:2]
    for y in range(0, h - block, block * 3):
        for x in range(0, w - block, block * 3):
            tile = out[y:y + block, x:x + block, :3]
            assert (tile == tile[0, 0]).all(), (y, x)  # one colour a block
    # each block is the mean of what it covers
    tile = astronaut[block:2 * block, block:2 * block, :3].reshape(-1, 3).mean(axis=0)
    assert np.abs(out[block, block, :3].astype(float) - tile).max() <= 1.0
    assert np.abs(out[..., :3].astype(int) - astronaut[..., :3]).mean() > 8  # the detail under the blocks is gone
    assert np.array_equal(out[..., 3], astronaut[..., 3])


def test_pixelate_covers_every_pixel_a_soft_mask_touches_and_nothing_else(astronaut):
    mask = np.zeros(astronaut.shape[:2], np.uint8)
    mask[100:180, 200:260] = 255
    mask[90:100, 200:260] = 20  # a faint soft edge: covered all the same, so nothing under it shows
    out = run("PIXELATE", image=astronaut, amount=1.0, mask=frozen(mask))["image"]
    block = restore.pixelate_block(astronaut.shape, 1.0)
    touched = np.zeros_like(mask, bool)
    ys, xs = np.nonzero(mask)
    for y0 in range(ys.min() // block * block, ys.max() + 1, block):
        for x0 in range(xs.min() // block * block, xs.max() + 1, block):
            touched[y0:y0 + block, x0:x0 + block] = True
    assert np.array_equal(out[~touched], astronaut[~touched])  # outside the touched blocks: byte-identical
    tile = out[96:100, 200:204, :3].reshape(-1, 3)
    assert (tile == tile[0]).all() and not np.array_equal(out[90:100, 200:260], astronaut[90:100, 200:260])


def test_pixelate_refuses_no_amount_a_negative_one_and_a_flat_region():
    flat = np.full((64, 64, 4), 90, np.uint8)
    with pytest.raises(BrickError, match="nothing to change"):
        run("PIXELATE", image=flat, amount=0.5)
    with pytest.raises(BrickError, match="between 0 and 1"):
        run("PIXELATE", image=photo("astronaut"), amount=-0.5)
    with pytest.raises(BrickError, match="nothing to change"):
        run("PIXELATE", image=photo("astronaut"), amount=0)
