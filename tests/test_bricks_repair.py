"""Repair bricks on real photos with drawn-in damage: DESCRATCH (scratches and specks) and RED-EYE."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickContext, BrickError, default_registry
from lego_edit.bricks.builtin import repair
from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.registry import Cancelled
from lego_edit.bricks.workflow import Workflow
from tests.brick_helpers import box_mask, frozen, photo, run, with_soft_alpha

EYES = ((202, 101), (246, 104))  # the astronaut's pupils (x, y) in skimage's 512 x 512 photo
PUPIL = 4  # px radius of the drawn red pupils
RED = (200, 30, 35)


def scratched(image: np.ndarray, seed: int = 0) -> np.ndarray:
    """`image` with six long scratches (bright and dark, 1-2 px, anti-aliased) and 24 specks drawn in."""
    out = image.copy()
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    for i in range(6):
        x0, y0 = int(rng.integers(20, w - 20)), int(rng.integers(20, h - 20))
        angle = rng.uniform(0, np.pi)
        x1, y1 = int(np.clip(x0 + 180 * np.cos(angle), 0, w - 1)), int(np.clip(y0 + 180 * np.sin(angle), 0, h - 1))
        level = 245 if i % 2 == 0 else 15
        cv2.line(out, (x0, y0), (x1, y1), (level, level, level, 255), 1 + i % 2, cv2.LINE_AA)
    for i in range(24):
        x, y = int(rng.integers(5, w - 5)), int(rng.integers(5, h - 5))
        level = 250 if i % 2 else 10
        cv2.circle(out, (x, y), int(rng.integers(1, 3)), (level, level, level, 255), -1, cv2.LINE_AA)
    return frozen(out)


def damage_of(clean: np.ndarray, damaged: np.ndarray) -> np.ndarray:
    return np.abs(damaged[..., :3].astype(np.int16) - clean[..., :3]).max(axis=2) > 0


def error_in(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(a[..., :3].astype(np.float64) - b[..., :3])[where].mean())


@pytest.fixture(scope="module")
def camera():
    return photo("camera")


@pytest.fixture(scope="module")
def astronaut():
    return photo("astronaut")


@pytest.mark.parametrize("name", ["camera", "rocket", "coffee"])
def test_descratch_halves_the_error_in_the_defects_and_leaves_the_rest(name):
    clean = photo(name)
    damaged = scratched(clean)
    where = damage_of(clean, damaged)
    result = run("DESCRATCH", image=damaged, amount=0.5)
    out = result["image"]
    assert error_in(out, clean, where) < 0.5 * error_in(damaged, clean, where)
    # 10 px and more from any defect: fine real detail (a rim of light, a wire) may be taken for a scratch,
    # but on average those pixels move by under 2 grey levels and 97 % of them do not visibly move at all
    far = cv2.dilate(where.astype(np.uint8), np.ones((21, 21), np.uint8)) == 0
    moved = np.abs(out[..., :3].astype(np.int16) - damaged[..., :3]).max(axis=2)
    assert float(moved[far].mean()) < 2.0
    assert float((moved[far] >= 10).mean()) < 0.03
    assert np.array_equal(out[..., 3], damaged[..., 3])
    # the mask output is where pixels may have changed, and it covers most of the strong damage
    defects = result["mask"] > 0
    assert not moved[~defects].any()
    strong = np.abs(damaged[..., :3].astype(np.int16) - clean[..., :3]).max(axis=2) > 40
    assert defects[strong].mean() > 0.5


def test_descratch_inside_a_mask_only(camera):
    damaged = scratched(camera, seed=4)
    half = camera.shape[1] // 2
    mask = box_mask(camera.shape, 0, 0, half, camera.shape[0])
    out = run("DESCRATCH", image=damaged, amount=0.5, mask=mask)["image"]
    assert np.array_equal(out[:, half:], damaged[:, half:])
    where = damage_of(camera, damaged)
    where[:, half - 3:] = False
    assert error_in(out, camera, where) < 0.5 * error_in(damaged, camera, where)


def test_descratch_on_a_clean_photo_changes_almost_nothing():
    cat = photo("chelsea")
    out = run("DESCRATCH", image=cat, amount=0.5)["image"]
    moved = np.abs(out[..., :3].astype(np.int16) - cat[..., :3]).max(axis=2)
    assert float((moved >= 10).mean()) < 0.005
    flat = frozen(np.dstack([np.full((200, 300, 3), 128, np.uint8), np.full((200, 300), 255, np.uint8)]))
    with pytest.raises(BrickError, match="found no scratches or specks"):
        run("DESCRATCH", image=flat, amount=0.5)


def test_descratch_refuses_texture_and_negative_amounts():
    rng = np.random.default_rng(1)
    mesh = np.full((240, 320, 3), 110, np.uint8) + rng.integers(0, 12, (240, 320, 3), dtype=np.uint8)
    for i in range(40):  # thin lines everywhere: a mesh, not damage
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, 320, 4))
        level = 235 if i % 2 else 20
        cv2.line(mesh, (x0, y0 % 240), (x1, y1 % 240), (level, level, level), 1, cv2.LINE_AA)
    texture = frozen(np.dstack([mesh, np.full((240, 320), 255, np.uint8)]))
    with pytest.raises(BrickError, match="looks like texture, not damage: 1[0-9]% of the picture.*select the damaged"):
        run("DESCRATCH", image=texture, amount=0.5)
    with pytest.raises(BrickError, match="only removes defects"):
        run("DESCRATCH", image=texture, amount=-0.5)


def red_eyed(image: np.ndarray, eyes=EYES) -> np.ndarray:
    out = image.copy()
    for x, y in eyes:
        cv2.circle(out, (x, y), PUPIL, (*RED, 255), -1, cv2.LINE_AA)
        out[y - 1, x + 1, :3] = 250  # the flash's catchlight
    return frozen(out)


def discs(shape, eyes=EYES, radius: int = PUPIL) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    for x, y in eyes:
        cv2.circle(mask, (x, y), radius, 255, -1)
    return mask > 0


def test_red_eye_fixes_both_pupils_and_nothing_else(astronaut):
    eyed = red_eyed(astronaut)
    out = run("RED-EYE", image=eyed)["image"]
    excess_before, _ = repair.redness(eyed[..., :3].astype(np.float32) / 255)
    excess_after, _ = repair.redness(out[..., :3].astype(np.float32) / 255)
    inside = discs(eyed.shape, radius=PUPIL - 1)
    assert excess_before[inside].mean() > 0.5
    assert excess_after[inside].mean() < 0.1 * excess_before[inside].mean()
    for x, y in EYES:
        assert out[y - 1, x + 1, :3].min() >= 230  # the catchlight stays white
        assert out[y, x, :3].max() < 80  # the pupil is dark again
    near = discs(eyed.shape, radius=PUPIL + 7)  # the red rim it grows into, and a 2 px feather
    assert np.array_equal(out[~near], eyed[~near])


def test_red_eye_refuses_a_lone_red_ball_without_a_mask_and_fixes_it_with_one(astronaut):
    ball = red_eyed(astronaut, eyes=((400, 420),))
    with pytest.raises(BrickError, match="found no red eyes: select the eyes"):
        run("RED-EYE", image=ball)
    mask = box_mask(ball.shape, 385, 405, 415, 435)
    out = run("RED-EYE", image=ball, mask=mask)["image"]
    excess, _ = repair.redness(out[..., :3].astype(np.float32) / 255)
    assert excess[discs(ball.shape, ((400, 420),), PUPIL - 1)].mean() < 0.06
    assert np.array_equal(out[mask == 0], ball[mask == 0])


def test_red_eye_refuses_a_photo_without_red_eyes(astronaut, camera):
    # her suit and the flag are red but not round and small; the coffee's table and saucer are red all
    # over (no spot stands out); the rocket photo has red dots too tiny to be pupils
    for image in (astronaut, camera, photo("coffee"), photo("rocket")):
        with pytest.raises(BrickError, match="found no red eyes"):
            run("RED-EYE", image=image)
    eyed = red_eyed(astronaut)
    with pytest.raises(BrickError, match="found no red eyes inside the mask"):
        run("RED-EYE", image=eyed, mask=box_mask(eyed.shape, 300, 0, 380, 60))


def _one_step(model: str, inputs: dict, outputs: dict) -> Workflow:
    return Workflow.from_dict({"process": "t", "pipeline": [
        {"step": 1, "model": model, "input": inputs, "output": outputs},
        {"result": [f"step1[{k}]" for k in outputs]}]})


def test_both_run_as_one_step_workflows_through_the_executor(camera, astronaut):
    executor = Executor(default_registry())
    damaged = scratched(camera, seed=2)
    wf = _one_step("DESCRATCH", {"image": "init[image]", "amount": 0.5},
                   {"image": "step1[image]", "mask": "step1[mask]"})
    result = executor.run(wf, {"image": damaged})
    out = result.outputs["step1[image]"]
    where = damage_of(camera, damaged)
    assert error_in(out, camera, where) < 0.5 * error_in(damaged, camera, where)
    assert result.outputs["step1[mask]"].shape == camera.shape[:2]
    eyed = red_eyed(astronaut)
    out = executor.run(_one_step("RED-EYE", {"image": "init[image]"}, {"image": "step1[image]"}),
                       {"image": eyed}).outputs["step1[image]"]
    assert out[EYES[0][1], EYES[0][0], 0] < 80
    with pytest.raises(StepFailed, match="found no red eyes"):
        executor.run(_one_step("RED-EYE", {"image": "init[image]"}, {"image": "step1[image]"}), {"image": astronaut})


def long_scratches(image: np.ndarray, scale: int, seed: int = 1) -> np.ndarray:
    """Six long scratches, `scale` (+0 or 1) px wide, at the same places relative to the image's size."""
    out = image.copy()
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    for i in range(6):
        x0, y0, angle = int(rng.integers(0, w)), int(rng.integers(0, h)), rng.uniform(0, np.pi)
        level = 245 if i % 2 == 0 else 15
        end = (int(x0 + 250 * scale * np.cos(angle)), int(y0 + 250 * scale * np.sin(angle)))
        cv2.line(out, (x0, y0), end, (level, level, level, 255), scale + i % 2, cv2.LINE_AA)
    return frozen(out)


def test_descratch_on_a_large_photo_looks_at_a_smaller_copy_and_fills_at_full_size():
    small = photo("rocket")
    large = frozen(cv2.resize(small, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC))  # 1280 px
    assert max(large.shape[:2]) > repair.DESCRATCH_WORK >= max(small.shape[:2])
    ratios = []
    for clean, scale in ((small, 1), (large, 2)):
        damaged = long_scratches(clean, scale)
        where = damage_of(clean, damaged)
        result = run("DESCRATCH", image=damaged, amount=0.5)
        assert result["image"].shape == damaged.shape and result["mask"].shape == damaged.shape[:2]
        ratios.append(error_in(result["image"], clean, where) / error_in(damaged, clean, where))
    assert ratios[1] < 0.5 and ratios[1] <= ratios[0] + 0.1  # as well repaired as the same damage at 640 px


def test_alpha_is_kept_and_a_cancel_is_honoured(camera, astronaut):
    damaged = with_soft_alpha(scratched(camera, seed=3))
    out = run("DESCRATCH", image=damaged, amount=0.5)["image"]
    assert np.array_equal(out[..., 3], damaged[..., 3]) and not np.array_equal(out, damaged)
    eyed = with_soft_alpha(red_eyed(astronaut))
    out = run("RED-EYE", image=eyed)["image"]
    assert np.array_equal(out[..., 3], eyed[..., 3]) and out[EYES[1][1], EYES[1][0], 0] < 80
    with pytest.raises(Cancelled):
        repair.descratch(BrickContext(cancelled=lambda: True), damaged, 0.5)
