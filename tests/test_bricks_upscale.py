"""UPSCALE's classical backend on real photos: closer to the original than bilinear, exactly scale x the size,
alpha kept without colour bleeding from transparent pixels, no ringing past the source neighbourhood's range,
bad scales and results over the pixel limit refused, and one step through the real Executor."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickError, default_registry
from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.registry import BrickContext, Cancelled
from lego_edit.bricks.workflow import Workflow
from tests.brick_helpers import frozen, photo, psnr, run, with_soft_alpha


def _halved(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The photo cropped to even sides, and that crop downscaled by 2 (area average, as a camera bins)."""
    h, w = image.shape[:2]
    original = np.ascontiguousarray(image[: h - h % 2, : w - w % 2])
    small = cv2.resize(original, (original.shape[1] // 2, original.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return frozen(original), frozen(small)


@pytest.fixture(scope="module")
def coffee_small():
    return _halved(photo("coffee"))[1]  # 300 x 200


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_x2_of_a_halved_photo_is_closer_to_the_original_than_bilinear(name):
    original, small = _halved(photo(name))
    out = run("UPSCALE", image=small, scale=2)["image"]
    bilinear = cv2.resize(small, (original.shape[1], original.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert out.shape == original.shape and out.dtype == np.uint8
    assert psnr(out, original) > psnr(bilinear, original) + 0.8
    assert np.all(out[..., 3] == 255)  # an opaque photo stays opaque


@pytest.mark.parametrize("scale", [2, 4, 2.5, 3.0, 1.5])
def test_the_output_is_exactly_scale_times_the_input(coffee_small, scale):
    h, w = coffee_small.shape[:2]
    out = run("UPSCALE", image=coffee_small, scale=scale)["image"]
    assert out.shape == (round(h * scale), round(w * scale), 4)
    assert out.flags.c_contiguous


def test_a_soft_alpha_ramp_survives_and_its_colours_are_kept(coffee_small):
    image = with_soft_alpha(coffee_small)  # alpha 40 .. 255 left to right
    out = run("UPSCALE", image=image, scale=2)["image"]
    expected = cv2.resize(image[..., 3], (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert np.abs(out[..., 3].astype(int) - expected).max() <= 1
    opaque = run("UPSCALE", image=frozen(np.dstack([coffee_small[..., :3], np.full(coffee_small.shape[:2], 255,
                                                                                      np.uint8)])), scale=2)["image"]
    # The colour does not depend on the alpha over it (premultiplied, then divided back out).
    visible = out[..., 3] >= 128
    assert np.abs(out[..., :3].astype(int) - opaque[..., :3])[visible].mean() < 1.0


def test_fully_transparent_pixels_do_not_bleed_into_their_neighbours():
    image = np.zeros((60, 80, 4), np.uint8)
    image[..., :3] = (0, 255, 0)  # green that nobody can see: alpha 0
    image[15:45, 20:60] = (255, 0, 0, 255)  # an opaque red card
    out = run("UPSCALE", image=frozen(image), scale=4)["image"]
    alpha = out[..., 3]
    assert alpha[64:176, 84:236].min() == 255 and alpha[:40].max() == 0 and alpha[:, :60].max() == 0
    edge = alpha > 0
    assert (edge & (alpha < 255)).sum() > 400  # the card has a soft anti-aliased rim ...
    rim = out[edge]
    assert rim[:, 0].min() >= 254 and rim[:, 1:3].max() <= 1  # ... that is red, not darkened, not green
    assert not out[~edge][:, :3].any()


def _neighbourhood_range(source: np.ndarray, shape: tuple[int, int], scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Min / max of the 2 x 2 source pixels around each output pixel centre."""
    h, w = source.shape[:2]
    ys = np.clip(np.floor((np.arange(shape[0]) + 0.5) / scale - 0.5), 0, h - 1).astype(int)
    xs = np.clip(np.floor((np.arange(shape[1]) + 0.5) / scale - 0.5), 0, w - 1).astype(int)
    stack = [source[np.minimum(ys + dy, h - 1)][:, np.minimum(xs + dx, w - 1)].astype(int)
             for dy in (0, 1) for dx in (0, 1)]
    return np.min(stack, axis=0), np.max(stack, axis=0)


@pytest.mark.parametrize("scale", [2, 4, 2.5])
def test_no_ringing_beyond_the_source_neighbourhood(scale):
    yy, xx = np.mgrid[0:48, 0:64]
    card = np.where(((xx // 8) + (yy // 12)) % 2 == 0, 235, 20).astype(np.uint8)  # hard edges ring the most
    image = frozen(np.dstack([card, 255 - card, np.full_like(card, 128), np.full_like(card, 255)]))
    out = run("UPSCALE", image=image, scale=scale)["image"]
    low, high = _neighbourhood_range(image, out.shape[:2], scale)
    assert np.all(out.astype(int) >= low - 1) and np.all(out.astype(int) <= high + 1)
    assert out[..., 0].max() <= 235 and out[..., 0].min() >= 20
    lanczos = cv2.resize(image, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LANCZOS4)
    assert lanczos[..., 0].max() > 240 or lanczos[..., 0].min() < 15  # plain Lanczos overshoots these edges
    # The edges stay crisp: steeper than bilinear's across the same edge.
    bilinear = cv2.resize(image, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert np.abs(np.diff(out[..., 0].astype(int), axis=1)).max() > np.abs(np.diff(bilinear[..., 0].astype(int),
                                                                                     axis=1)).max()


@pytest.mark.parametrize("scale", [1, 1.0, 0.5, 0, -2, 4.01, 8, math.nan, math.inf, "big", None])
def test_bad_scales_are_refused(coffee_small, scale):
    with pytest.raises(BrickError, match="UPSCALE: scale must be"):
        run("UPSCALE", image=coffee_small, scale=scale)


def test_a_scale_that_rounds_to_the_same_size_is_refused():
    tiny = frozen(np.full((3, 5, 4), 200, np.uint8))
    with pytest.raises(BrickError, match="UPSCALE: nothing to change: x1.05 of a 5x3 image rounds to the same size"):
        run("UPSCALE", image=tiny, scale=1.05)
    assert run("UPSCALE", image=tiny, scale=1.2)["image"].shape == (4, 6, 4)


def test_a_result_over_the_pixel_limit_is_refused_before_any_work(coffee_small):
    brick = default_registry().get("UPSCALE")
    backend = brick.active_backend()
    h, w = coffee_small.shape[:2]
    with pytest.raises(BrickError, match=rf"UPSCALE x4.*{4 * w}\u00d7{4 * h}.*limits.max_pixels"):
        backend.fn(BrickContext(max_pixels=16 * w * h - 1), image=coffee_small, scale=4)
    assert backend.fn(BrickContext(max_pixels=16 * w * h), image=coffee_small, scale=4)["image"].shape[:2] == (4 * h,
                                                                                                         4 * w)


def test_progress_is_reported_and_a_cancel_is_honoured():
    image = frozen(np.dstack([np.full((300, 40, 3), 90, np.uint8), np.full((300, 40), 255, np.uint8)]))
    seen: list[float] = []
    backend = default_registry().get("UPSCALE").active_backend()
    backend.fn(BrickContext(progress=lambda f, m="": seen.append(f)), image=image, scale=4)  # 1200 rows: 3 bands
    assert len(seen) == 3 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        backend.fn(BrickContext(cancelled=lambda: True), image=image, scale=4)


def test_one_step_workflow_through_the_executor_and_the_model_builders_prompt(coffee_small):
    from lego_edit.bricks.builtin.catalog import BY_NAME
    from lego_edit.builder.prompt import system_prompt

    spec = BY_NAME["UPSCALE"]
    assert spec.family == "restore" and [(p.name, p.optional) for p in spec.inputs] == [("image", False),
                                                                                       ("scale", False)]
    assert "invents no detail" in spec.constraints
    prompt = system_prompt(default_registry())
    assert f"### UPSCALE\nPurpose: {spec.purpose}" in prompt and spec.constraints in prompt
    workflow = Workflow.from_dict({"process": "upscale this", "pipeline": [
        {"step": 1, "model": "UPSCALE", "input": {"image": "init[image]", "scale": 2}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]})
    executor = Executor(default_registry())
    try:
        (_, image), = executor.run(workflow, {"image": coffee_small}).result
        assert image.shape == (400, 600, 4)
        assert np.array_equal(image, run("UPSCALE", image=coffee_small, scale=2)["image"])
        too_big = Executor(default_registry(), max_pixels=600 * 400 - 1)
        try:
            with pytest.raises(StepFailed, match="limits.max_pixels"):
                too_big.run(workflow, {"image": coffee_small})
        finally:
            too_big.close()
    finally:
        executor.close()
