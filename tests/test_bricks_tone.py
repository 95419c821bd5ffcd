"""Tone bricks on real photos: CONTRAST, SATURATION, TEMPERATURE, TINT, WHITE-BALANCE, EXPOSURE,
SHADOWS-HIGHLIGHTS, VIGNETTE, AUTO-LEVELS."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickError
from tests.brick_helpers import box_mask, frozen, lightness, photo, run, with_soft_alpha


def chroma(image: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3]).astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    return np.hypot(lab[..., 1], lab[..., 2])


@pytest.fixture(scope="module")
def astronaut():
    return photo("astronaut")


@pytest.fixture(scope="module")
def chelsea():
    return photo("chelsea")


@pytest.fixture(scope="module")
def coffee():
    return photo("coffee")


def test_contrast_raises_and_lowers_the_luminance_spread(astronaut):
    spread = lightness(astronaut).std()
    higher = run("CONTRAST", image=astronaut, amount=0.5)["image"]
    lower = run("CONTRAST", image=astronaut, amount=-0.5)["image"]
    assert lightness(higher).std() > spread * 1.15
    assert lightness(lower).std() < spread * 0.6
    assert abs(lightness(lower).mean() - lightness(astronaut).mean()) < 2  # about the mean
    assert np.array_equal(higher[..., 3], astronaut[..., 3])


def test_contrast_in_a_mask_keeps_the_outside_byte_identical(chelsea):
    mask = box_mask(chelsea.shape, 100, 50, 300, 250)
    out = run("CONTRAST", image=chelsea, amount=0.6, mask=mask)["image"]
    assert np.array_equal(out[mask == 0], chelsea[mask == 0])
    assert lightness(out)[mask > 0].std() > lightness(chelsea)[mask > 0].std() * 1.2


def test_saturation_minus_one_is_grey_in_the_mask_and_untouched_outside(astronaut):
    mask = box_mask(astronaut.shape, 100, 100, 400, 400)
    out = run("SATURATION", image=astronaut, amount=-1, mask=mask)["image"]
    inside = out[mask > 0, :3].astype(int)
    assert (inside.max(axis=1) - inside.min(axis=1)).max() == 0  # R = G = B exactly
    assert np.array_equal(out[mask == 0], astronaut[mask == 0])
    assert np.array_equal(out[..., 3], astronaut[..., 3])


def test_saturation_raise_is_vibrance_like(coffee):
    out = run("SATURATION", image=coffee, amount=0.6)["image"]
    before, after = chroma(coffee), chroma(out)
    assert after.mean() > before.mean() * 1.2
    dull, vivid = (before > 3) & (before < 15), before > 60
    assert (after[dull] / before[dull]).mean() > (after[vivid] / before[vivid]).mean()


def test_saturation_soft_mask_edges_blend(astronaut):
    mask = np.zeros(astronaut.shape[:2], np.uint8)
    mask[:, 256:] = 255
    mask[:, 200:256] = 128
    out = run("SATURATION", image=astronaut, amount=-1, mask=mask)["image"]
    grey = out[:, 300:, :3].astype(int)
    half = out[:, 200:256, :3].astype(int)
    orig = astronaut[:, 200:256, :3].astype(int)
    spread = lambda a: (a.max(axis=-1) - a.min(axis=-1)).mean()  # noqa: E731
    assert spread(grey) == 0 and 0.3 * spread(orig) < spread(half) < 0.7 * spread(orig)


def test_temperature_warmer_raises_red_over_blue(chelsea):
    ratio = lambda img: img[..., 0].astype(float).mean() / img[..., 2].astype(float).mean()  # noqa: E731
    warm = run("TEMPERATURE", image=chelsea, amount=0.5)["image"]
    cool = run("TEMPERATURE", image=chelsea, amount=-0.5)["image"]
    assert ratio(cool) < ratio(chelsea) < ratio(warm)
    assert abs(lightness(warm).mean() - lightness(chelsea).mean()) < 3


def mean_ab(image: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    lab = cv2.cvtColor(np.ascontiguousarray(image[..., :3]).astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    return lab[..., 1:][where if where is not None else np.ones(lab.shape[:2], bool)].mean(axis=0)


@pytest.mark.parametrize("colour, axis, sign", [("yellow", 1, 1), ("blue", 1, -1), ("green", 0, -1), ("magenta", 0, 1)])
def test_tint_moves_the_colours_toward_the_filter_and_keeps_lightness(chelsea, colour, axis, sign):
    out = run("TINT", image=frozen(chelsea), color=colour, amount=0.5)["image"]
    shift = mean_ab(out) - mean_ab(chelsea)
    assert sign * shift[axis] > 5  # b* up for yellow, down for blue; a* down for green, up for magenta
    assert abs(lightness(out).astype(float) - lightness(chelsea).astype(float)).mean() < 1.5
    stronger = run("TINT", image=chelsea, color=colour, amount=1.0)["image"]
    assert sign * (mean_ab(stronger) - mean_ab(chelsea))[axis] > sign * shift[axis]


def test_tint_inside_a_mask_leaves_the_rest_and_the_alpha_alone(astronaut):
    soft = with_soft_alpha(astronaut)
    mask = box_mask(soft.shape, 0, 0, soft.shape[1] // 2, soft.shape[0])
    out = run("TINT", image=soft, color="blue", amount=0.6, mask=frozen(mask))["image"]
    outside = mask == 0
    assert np.array_equal(out[outside], soft[outside])
    assert np.array_equal(out[..., 3], soft[..., 3])
    assert (mean_ab(out, mask == 255) - mean_ab(soft, mask == 255))[1] < -5


def test_tint_refuses_greys_unknown_colours_and_no_amount(chelsea):
    with pytest.raises(BrickError, match="neutral"):
        run("TINT", image=chelsea, color="grey", amount=0.5)
    with pytest.raises(BrickError, match="not a colour it knows"):
        run("TINT", image=chelsea, color="chartreuse-ish", amount=0.5)
    with pytest.raises(BrickError, match="nothing to change"):
        run("TINT", image=chelsea, color="blue", amount=0)
    with pytest.raises(BrickError, match="opposite colour"):
        run("TINT", image=chelsea, color="blue", amount=-0.4)


def test_white_balance_brings_a_cast_photos_channel_means_together(coffee):
    cast = coffee.copy()
    cast[..., :3] = np.clip(coffee[..., :3] * np.array([1.25, 1.0, 0.7]), 0, 255).astype(np.uint8)
    cast = frozen(cast)
    out = run("WHITE-BALANCE", image=cast)["image"]
    spread = lambda img: np.ptp(img[..., :3].reshape(-1, 3).astype(float).mean(axis=0))  # noqa: E731
    assert spread(out) < 0.5 * spread(cast)
    assert np.array_equal(out[..., 3], cast[..., 3])


def test_white_balance_refuses_an_already_neutral_image(coffee):
    grey = coffee.copy()
    grey[..., :3] = coffee[..., :3].mean(axis=2, keepdims=True).astype(np.uint8)
    with pytest.raises(BrickError, match="nothing to change.*neutral"):
        run("WHITE-BALANCE", image=frozen(grey))


def test_exposure_raises_mean_lightness_monotonically(astronaut):
    means = [lightness(run("EXPOSURE", image=astronaut, amount=a)["image"]).mean() for a in (-1, -0.5, 0.25, 0.5, 1)]
    means.insert(2, lightness(astronaut).mean())
    assert all(a < b for a, b in zip(means, means[1:], strict=False))


def test_exposure_highlights_roll_off_without_a_clipping_jump(astronaut):
    out = run("EXPOSURE", image=astronaut, amount=1)["image"]
    clipped_before = (astronaut[..., :3] == 255).mean()
    assert (out[..., :3] == 255).mean() <= clipped_before + 0.01  # whites stay white, nothing new slams into 255
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (4, 1, 3))
    ramp = frozen(np.dstack([ramp, np.full(ramp.shape[:2], 255, np.uint8)]))
    curve = run("EXPOSURE", image=ramp, amount=0.7)["image"][0, :, 0].astype(int)
    assert np.all(np.diff(curve) >= 0) and np.diff(curve).max() <= 6  # monotonic and smooth


def test_shadows_lift_raises_the_dark_percentile_more_than_the_bright(chelsea):
    out = run("SHADOWS-HIGHLIGHTS", image=chelsea, shadows=0.6, highlights=0)["image"]
    before, after = lightness(chelsea), lightness(out)
    dark_gain = np.percentile(after, 5) - np.percentile(before, 5)
    bright_gain = np.percentile(after, 95) - np.percentile(before, 95)
    assert dark_gain > 5 and dark_gain > 3 * abs(bright_gain)


def test_highlights_recovery_lowers_the_bright_percentile(astronaut):
    out = run("SHADOWS-HIGHLIGHTS", image=astronaut, shadows=0, highlights=-0.7)["image"]
    before, after = lightness(astronaut), lightness(out)
    assert np.percentile(after, 95) < np.percentile(before, 95) - 5
    assert abs(np.percentile(after, 5) - np.percentile(before, 5)) < 2


def test_shadows_highlights_both_zero_is_refused(chelsea):
    with pytest.raises(BrickError, match="nothing to change"):
        run("SHADOWS-HIGHLIGHTS", image=chelsea, shadows=0, highlights=0)


def test_vignette_darkens_the_corners_more_than_the_centre(coffee):
    out = run("VIGNETTE", image=coffee, amount=0.6)["image"]
    h, w = coffee.shape[:2]
    diff = lightness(coffee) - lightness(out)
    corners = np.concatenate([diff[:30, :30].ravel(), diff[:30, -30:].ravel(), diff[-30:, :30].ravel(),
                              diff[-30:, -30:].ravel()])
    centre = diff[h // 2 - 30:h // 2 + 30, w // 2 - 30:w // 2 + 30]
    assert corners.mean() > 5 and np.abs(centre).max() < 0.5
    lighter = run("VIGNETTE", image=coffee, amount=-0.6)["image"]
    assert lightness(lighter)[:30, :30].mean() > lightness(coffee)[:30, :30].mean() + 5


@pytest.mark.parametrize("name", ["CONTRAST", "SATURATION", "TEMPERATURE", "EXPOSURE", "VIGNETTE"])
def test_tone_bricks_keep_alpha(astronaut, name):
    image = with_soft_alpha(astronaut)
    out = run(name, image=image, amount=0.4)["image"]
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[..., 3], image[..., 3])
    assert not np.array_equal(out, image)


# --- AUTO-LEVELS ----------------------------------------------------------------------------------


def _faded(image: np.ndarray) -> np.ndarray:
    """A washed-out copy: every channel squeezed into 70..190, as a faded print or a flat scan."""
    out = image.copy()
    out[..., :3] = (70 + image[..., :3].astype(np.float32) * (120 / 255)).round().astype(np.uint8)
    return out


def test_auto_levels_gives_a_faded_photo_its_black_and_white_points_back(coffee):
    faded = _faded(coffee)
    before = lightness(faded)
    out = run("AUTO-LEVELS", image=frozen(faded))["image"]
    after = lightness(out)
    assert np.percentile(before, 0.5) > 20 and np.percentile(before, 99.5) < 80
    assert np.percentile(after, 0.5) < 2 and np.percentile(after, 99.5) > 98  # the full range, black to white
    assert after.std() > before.std() * 1.5
    # the order of tones is kept (a monotone map) and hues stay where they were
    sample = np.random.default_rng(0).choice(before.size, 2000, replace=False)
    b, a = before.ravel()[sample], after.ravel()[sample]
    assert np.all(np.diff(a[np.argsort(b, kind="stable")]) > -1.0)
    assert np.array_equal(out[..., 3], faded[..., 3])


def test_auto_levels_keeps_alpha_and_reads_only_visible_pixels(chelsea):
    faded = with_soft_alpha(_faded(chelsea))
    out = run("AUTO-LEVELS", image=faded)["image"]
    assert np.array_equal(out[..., 3], faded[..., 3])
    assert lightness(out)[faded[..., 3] > 0].std() > lightness(faded)[faded[..., 3] > 0].std() * 1.4


def test_auto_levels_equalize_raises_local_contrast_in_a_murky_photo(astronaut):
    murky = astronaut.copy()
    murky[..., :3] = (40 + astronaut[..., :3].astype(np.float32) * 0.3).round().astype(np.uint8)
    out = run("AUTO-LEVELS", image=murky, mode="equalise")["image"]

    def local_spread(image):
        light = lightness(image)
        return float(np.abs(light - cv2.blur(light, (15, 15))).mean())

    assert local_spread(out) > local_spread(murky) * 1.5


def test_auto_levels_refuses_a_photo_that_already_spans_black_to_white_and_a_flat_one(astronaut):
    full = astronaut.copy()
    full[:8, :8, :3], full[-8:, -8:, :3] = 0, 255
    full[8:40, :, :3], full[-40:-8, :, :3] = 0, 255  # over 0.5 % of the pixels black, as many white
    with pytest.raises(BrickError, match="nothing to change: the tones already run from black to white"):
        run("AUTO-LEVELS", image=full)
    flat = np.full((64, 64, 4), 128, np.uint8)
    flat[..., 3] = 255
    with pytest.raises(BrickError, match="one flat tone"):
        run("AUTO-LEVELS", image=flat)
    with pytest.raises(BrickError, match="unknown mode"):
        run("AUTO-LEVELS", image=astronaut, mode="sideways")


def test_tint_is_in_the_model_builders_prompt_and_runs_in_a_checked_workflow(chelsea):
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.builtin.catalog import BY_NAME
    from lego_edit.bricks.checker import check
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.workflow import Workflow
    from lego_edit.builder.prompt import system_prompt

    registry = default_registry()
    assert f"### TINT\nPurpose: {BY_NAME['TINT'].purpose}" in system_prompt(registry)
    workflow = Workflow.from_dict({"process": "a yellow filter", "pipeline": [
        {"step": 1, "model": "TINT", "input": {"image": "init[image]", "color": "yellow", "amount": 0.4},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]})
    assert check(workflow, registry, inits=["image"]).ok
    executor = Executor(registry)
    try:
        (_, image), = executor.run(workflow, {"image": chelsea}).result
    finally:
        executor.close()
    assert (mean_ab(image) - mean_ab(chelsea))[1] > 5
