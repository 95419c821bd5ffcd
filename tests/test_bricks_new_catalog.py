"""The tone / restore / geometry bricks and GROW-MASK as the rest of the system sees them: declared as the
shared spec says (notes/new_bricks_spec.md), registered, runnable in checked workflows, honest about
amounts that change nothing, and listed in the model Builder's generated prompt."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickError, default_registry
from lego_edit.bricks.builtin import CLASSICAL
from lego_edit.bricks.builtin.catalog import BY_NAME
from lego_edit.bricks.checker import check
from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.registry import BrickRole
from lego_edit.bricks.valuetype import ValueType
from lego_edit.bricks.workflow import Workflow
from tests.brick_helpers import box_mask, photo, run

IMG, M, S, F = ValueType.IMAGE, ValueType.MASK, ValueType.STR, ValueType.FLOAT

# name: (inputs as (name, type, optional), output types, family, role) -- exactly the shared spec
SPEC = {
    "CONTRAST": ((("image", IMG, False), ("amount", F, False), ("mask", M, True)), "tone"),
    "SATURATION": ((("image", IMG, False), ("amount", F, False), ("mask", M, True)), "tone"),
    "TEMPERATURE": ((("image", IMG, False), ("amount", F, False), ("mask", M, True)), "tone"),
    "WHITE-BALANCE": ((("image", IMG, False),), "tone"),
    "EXPOSURE": ((("image", IMG, False), ("amount", F, False)), "tone"),
    "SHADOWS-HIGHLIGHTS": ((("image", IMG, False), ("shadows", F, False), ("highlights", F, False)), "tone"),
    "VIGNETTE": ((("image", IMG, False), ("amount", F, False)), "tone"),
    "SHARPEN": ((("image", IMG, False), ("amount", F, False), ("mask", M, True)), "restore"),
    "DENOISE": ((("image", IMG, False), ("amount", F, False)), "restore"),
    "DEHAZE": ((("image", IMG, False), ("amount", F, False)), "restore"),
    "BLUR": ((("image", IMG, False), ("amount", F, False), ("mask", M, True)), "restore"),
    "CROP": ((("image", IMG, False), ("aspect", S, False)), "geometry"),
    "ROTATE": ((("image", IMG, False), ("angle", F, False)), "geometry"),
    "FLIP": ((("image", IMG, False), ("direction", S, False)), "geometry"),
    "GROW-MASK": ((("mask", M, False), ("pixels", F, False)), None),
}
AMOUNT = [name for name, (ports, _) in SPEC.items() if any(p[0] == "amount" for p in ports)]
MASKED = [name for name, (ports, _) in SPEC.items() if any(p[0] == "mask" and p[2] for p in ports)]
LITERALS = {"amount": 0.5, "shadows": 0.5, "highlights": -0.5, "aspect": "1:1", "angle": 30, "direction": "horizontal",
            "pixels": 8}


@pytest.fixture(scope="module")
def chelsea():
    return photo("chelsea")


@pytest.mark.parametrize("name", list(SPEC))
def test_declared_as_the_spec_says(name):
    spec = BY_NAME[name]
    ports, family = SPEC[name]
    assert [(p.name, p.type, p.optional) for p in spec.inputs] == list(ports)
    expected_output = ("mask", M, False) if name == "GROW-MASK" else ("image", IMG, False)
    assert [(p.name, p.type, p.optional) for p in spec.outputs] == [expected_output]
    assert spec.family == family
    assert spec.role is (BrickRole.MASK if name == "GROW-MASK" else BrickRole.EDIT)
    assert spec.purpose and spec.constraints
    assert all(p.doc for p in spec.inputs if p.name != "image")
    assert [c.name for c in CLASSICAL if c.brick == name]  # a classical backend, no model needed


@pytest.mark.parametrize("name", list(SPEC))
def test_registered_and_classical_backend_active(name):
    brick = default_registry().get(name)
    assert brick is not None and brick.active_backend() is not None
    assert brick.active_backend().kind == "classical"


def _workflow(name: str) -> tuple[Workflow, bool]:
    """One step of `name` (GROW-MASK feeds a SATURATION), the literals above, init[mask] where a mask goes."""
    ports, _ = SPEC[name]
    if name == "GROW-MASK":
        steps = [{"step": 1, "model": "GROW-MASK", "input": {"mask": "init[mask]", "pixels": 8},
                  "output": {"mask": "step1[mask]"}},
                 {"step": 2, "model": "SATURATION", "input": {"image": "init[image]", "amount": -1, "mask": "step1[mask]"},
                  "output": {"image": "step2[image]"}}]
        return Workflow.from_dict({"process": "grow then desaturate", "pipeline": [*steps, {"result": "[step2[image]]"}]}), True
    inputs = {p: ("init[image]" if p == "image" else "init[mask]" if p == "mask" else LITERALS[p]) for p, _, _ in ports}
    step = {"step": 1, "model": name, "input": inputs, "output": {"image": "step1[image]"}}
    return Workflow.from_dict({"process": name.lower(), "pipeline": [step, {"result": "[step1[image]]"}]}), "mask" in inputs


@pytest.mark.parametrize("name", list(SPEC))
def test_a_tiny_workflow_per_brick_checks_and_runs(name, chelsea):
    if name == "DENOISE":  # it refuses a photo with no noise worth removing: give it some
        noise = np.random.default_rng(0).normal(0, 12, chelsea[..., :3].shape)
        chelsea = chelsea.copy()
        chelsea[..., :3] = np.clip(chelsea[..., :3] + noise, 0, 255).astype(np.uint8)
    workflow, uses_mask = _workflow(name)
    mask = box_mask(chelsea.shape, 120, 60, 320, 240)
    inits = ["image", "mask"] if uses_mask else ["image"]
    report = check(workflow, default_registry(), inits=inits)
    assert report.ok, report
    executor = Executor(default_registry())
    try:
        result = executor.run(workflow, {"image": chelsea, "mask": mask if uses_mask else None})
    finally:
        executor.close()
    (ref, image), = result.result
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 4
    assert image.shape != chelsea.shape or not np.array_equal(image, chelsea)
    if uses_mask:
        reach = cv2.dilate(mask, np.ones((21, 21), np.uint8)) if name == "GROW-MASK" else mask  # grown by 8 < 10
        outside = reach == 0
        assert np.array_equal(image[outside], chelsea[outside])


@pytest.mark.parametrize("name", AMOUNT)
def test_amount_zero_is_refused_honestly(name, chelsea):
    with pytest.raises(BrickError, match="nothing to change"):
        run(name, image=chelsea, amount=0)
    workflow = Workflow.from_dict({"process": "nothing", "pipeline": [
        {"step": 1, "model": name, "input": {"image": "init[image]", "amount": 0}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]})
    executor = Executor(default_registry())
    try:
        with pytest.raises(StepFailed, match="nothing to change"):
            executor.run(workflow, {"image": chelsea})
    finally:
        executor.close()


@pytest.mark.parametrize("name", AMOUNT)
def test_amounts_are_clamped_and_must_be_numbers(name, chelsea):
    if name == "DENOISE":
        pytest.skip("non-local means at full strength is slow; the clamp is shared (_adjust.amount)")
    assert np.array_equal(run(name, image=chelsea, amount=7)["image"], run(name, image=chelsea, amount=1)["image"])
    with pytest.raises(BrickError, match="number"):
        run(name, image=chelsea, amount="lots")


def test_a_tiny_amount_that_changes_no_pixel_is_refused():
    flat = np.full((32, 32, 4), 128, np.uint8)
    for name in ("CONTRAST", "SHARPEN", "BLUR"):  # nothing to stretch, no edge to sharpen or blur
        with pytest.raises(BrickError, match="nothing to change"):
            run(name, image=flat, amount=0.8)


@pytest.mark.parametrize("name", MASKED)
def test_masks_of_the_wrong_size_or_empty_are_errors(name, chelsea):
    with pytest.raises(BrickError, match=f"{name}: the mask is 10x10 but the image is 451x300"):
        run(name, image=chelsea, amount=0.5, mask=np.full((10, 10), 255, np.uint8))
    with pytest.raises(BrickError, match="empty"):
        run(name, image=chelsea, amount=0.5, mask=np.zeros(chelsea.shape[:2], np.uint8))


def test_every_new_brick_is_in_the_model_builders_system_prompt():
    from lego_edit.builder.prompt import system_prompt

    prompt = system_prompt(default_registry())
    for name in SPEC:
        assert f"### {name}\nPurpose: {BY_NAME[name].purpose}" in prompt
        assert BY_NAME[name].constraints in prompt
