"""The offline bricks mean what the reference Lego-Edit's bricks mean: CMI-PRED's ratios and canvas
sizes, FLUX-BRIGHT's ratio (1.5 runs), RESIZE's anchoring, FLUX-RCM without a mask. Sizes are the
ones the reference's code computes (legodemo.py: create_custom_outpainting_mask_and_image)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from skimage import data

from lego_edit.bricks.registry import BrickError
from lego_edit.bricks.values import to_rgba
from tests.brick_helpers import frozen, run


def _photo(w: int, h: int) -> np.ndarray:
    return frozen(to_rgba(cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_AREA)))


def _reference_mask(h: int, w: int, ratios: tuple[float, float, float, float]) -> np.ndarray:
    """The reference's outpainting mask, step by step as its code does it (small images only)."""
    left, right, top, bottom = ratios
    if left == right == top == bottom and left != 1:
        left, right, top, bottom = (0.5 * r + 0.5 for r in (left, right, top, bottom))
    le, re_, te, be = int(w * (left - 1)), int(w * (right - 1)), int(h * (top - 1)), int(h * (bottom - 1))
    new_w, new_h = w + le + re_, h + te + be
    mask = np.full((new_h, new_w), 255, np.uint8)
    mask[te:te + h, le:le + w] = 0

    def divisible(x: float) -> int:
        return max(64, int(round(x / 64) * 64))

    size = (1024, divisible(1024 * new_h / new_w)) if new_w > new_h else (divisible(1024 * new_w / new_h), 1024)
    return cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)


@pytest.mark.parametrize("ratios, size", [
    ((2.0, 2.0, 2.0, 2.0), (1024, 704)),  # each side 1.5: 1536 x 1024, then the long side 1024
    ((1.5, 1.0, 1.0, 1.0), (1024, 448)),  # the left grows by half the width: 1152 x 512
    ((1.0, 1.0, 1.5, 1.5), (768, 1024)),  # 768 x 1024: already a multiple of 64
    ((1.0, 1.5, 1.0, 1.5), (1024, 704)),  # 1152 x 768
    ((1.0, 1.0, 1.0, 1.5), (1024, 1024)),  # 768 x 768: square
])
def test_cmi_pred_canvas_sizes_are_the_references(ratios, size):
    image = _photo(768, 512)
    left, right, top, bottom = ratios
    out = run("CMI-PRED", image=image, left_ratio=left, right_ratio=right, top_ratio=top, bottom_ratio=bottom)
    canvas, mask = out["image"], out["mask"]
    assert (canvas.shape[1], canvas.shape[0]) == size and mask.shape == canvas.shape[:2]
    assert np.array_equal(mask, _reference_mask(512, 768, ratios))  # the reference's own mask, pixel for pixel
    kept = mask == 0
    ys, xs = np.nonzero(kept)
    inner = cv2.resize(np.ascontiguousarray(image), (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1),
                       interpolation=cv2.INTER_AREA)
    assert np.array_equal(canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1], inner)  # the photo, only resized
    assert (canvas[~kept, 3] == 0).all() and (canvas[kept, 3] == 255).all()  # the new area is transparent
    assert out["caption"]


def test_cmi_pred_mask_matches_the_reference_on_odd_sizes():
    for h, w in ((37, 91), (300, 200), (100, 100)):
        image = np.full((h, w, 4), 120, np.uint8)
        for ratios in ((1.3, 1.7, 1.1, 2.9), (5.0, 5.0, 5.0, 5.0), (1.0, 3.0, 1.0, 1.0)):
            out = run("CMI-PRED", image=image, left_ratio=ratios[0], right_ratio=ratios[1], top_ratio=ratios[2],
                      bottom_ratio=ratios[3])
            assert np.array_equal(out["mask"], _reference_mask(h, w, ratios)), (h, w, ratios)
            assert max(out["mask"].shape) == 1024


def test_cmi_pred_all_four_ratios_or_none():
    image = _photo(96, 64)
    caption_only = run("CMI-PRED", image=image, left_ratio=None, right_ratio=None, top_ratio=None, bottom_ratio=None)
    assert caption_only["image"] is None and caption_only["mask"] is None and caption_only["caption"]
    with pytest.raises(BrickError, match="all four ratios or none: right_ratio, top_ratio"):
        run("CMI-PRED", image=image, left_ratio=1.5, right_ratio=None, top_ratio=None, bottom_ratio=1.0)
    with pytest.raises(BrickError, match="between 1"):  # below 1 would cut the image, not grow it
        run("CMI-PRED", image=image, left_ratio=0.5, right_ratio=1.0, top_ratio=1.0, bottom_ratio=1.0)
    with pytest.raises(BrickError, match="nothing to expand"):
        run("CMI-PRED", image=image, left_ratio=1.0, right_ratio=1.0, top_ratio=1.0, bottom_ratio=1.0)


def test_cmi_pred_output_stays_bounded_for_a_large_photo_and_big_ratios():
    image = np.zeros((4000, 6000, 4), np.uint8)  # 24 MP; grown 3x per side it would be 30000 x 20000
    out = run("CMI-PRED", image=image, left_ratio=5.0, right_ratio=5.0, top_ratio=5.0, bottom_ratio=5.0)
    assert out["image"].shape == (704, 1024, 4)


# --- FLUX-BRIGHT ---------------------------------------------------------------------------------------

def test_bright_ratio_above_one_runs_and_counts_as_one():
    image = _photo(120, 80)
    rgb = image[..., :3].astype(np.int32)
    doubled = run("FLUX-BRIGHT", image=image, ratio=1.5)["image"]
    assert np.array_equal(doubled, run("FLUX-BRIGHT", image=image, ratio=1.0)["image"])
    assert np.abs(doubled[..., :3].astype(np.int32) - np.minimum(255, 2 * rgb)).max() <= 1  # factor 2 x 1.0
    assert np.array_equal(doubled[..., 3], image[..., 3])
    darker = run("FLUX-BRIGHT", image=image, ratio=0.25)["image"]  # factor 0.5
    assert np.abs(darker[..., :3].astype(np.int32) - rgb * 0.5).max() <= 1
    with pytest.raises(BrickError, match="nothing to change"):
        run("FLUX-BRIGHT", image=image, ratio=0.5)
    with pytest.raises(BrickError, match="0 or more"):
        run("FLUX-BRIGHT", image=image, ratio=-0.2)


def test_a_workflow_with_bright_one_and_a_half_runs():
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.workflow import parse_workflow

    workflow = parse_workflow(json.dumps({"process": "make the picture much brighter", "pipeline": [
        {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 1.5},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}))
    image = _photo(120, 80)
    executor = Executor(default_registry())
    try:
        out = executor.run(workflow, {"image": image}).result[-1][1]
    finally:
        executor.close()
    assert np.abs(out[..., :3].astype(np.int32) - np.minimum(255, 2 * image[..., :3].astype(np.int32))).max() <= 1


# --- RESIZE ------------------------------------------------------------------------------------------

def _box_mask(shape, x, y, w, h) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y:y + h, x:x + w] = 255
    return mask


def _box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_resize_keeps_the_bottom_edge_and_centres_horizontally():
    mask = _box_mask((200, 300), 100, 60, 80, 100)  # bottom edge at y = 160
    assert _box_of(run("RESIZE", mask=mask, image=None, ratio=0.5)["mask"]) == (120, 110, 40, 50)
    assert _box_of(run("RESIZE", mask=mask, image=None, ratio=1.5)["mask"]) == (80, 10, 120, 150)
    clipped = run("RESIZE", mask=mask, image=None, ratio=2.0)["mask"]  # 160 x 200 from y = -40: cut at the top
    assert _box_of(clipped) == (60, 0, 160, 200)


def test_resize_takes_the_largest_region_only():
    mask = np.maximum(_box_mask((200, 300), 100, 60, 80, 100), _box_mask((200, 300), 10, 10, 20, 20))
    out = run("RESIZE", mask=mask, image=None, ratio=0.5)["mask"]
    assert _box_of(out) == (120, 110, 40, 50) and not out[:40, :40].any()
    with pytest.raises(BrickError, match="empty"):
        run("RESIZE", mask=np.zeros((20, 20), np.uint8), image=None, ratio=0.5)


def test_resize_of_an_image_scales_its_opaque_part_on_its_base():
    image = np.zeros((200, 300, 4), np.uint8)
    image[60:160, 100:180] = (200, 30, 40, 255)
    out = run("RESIZE", mask=None, image=image, ratio=0.5)["image"]
    assert _box_of(out[..., 3]) == (120, 110, 40, 50)
    assert (out[110:160, 120:160] == (200, 30, 40, 255)).all() and out[..., 3].sum() == 40 * 50 * 255


# --- FLUX-RCM ------------------------------------------------------------------------------------------

def test_rcm_without_a_mask_recolours_the_whole_image():
    image = _photo(120, 80)
    out = run("FLUX-RCM", image=image, prompt="blue")["image"]
    hsv = cv2.cvtColor(np.ascontiguousarray(out[..., :3]), cv2.COLOR_RGB2HSV)
    coloured = hsv[..., 1] > 40
    assert coloured.mean() > 0.5 and np.median(hsv[..., 0][coloured]) == pytest.approx(120, abs=15)  # blue: H ~120
