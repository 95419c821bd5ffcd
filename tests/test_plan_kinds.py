"""The right-kind judge for the tone bricks: one region's tone change is an `adjust`, and a whole-image
SATURATION at -1 is the black-and-white `style` as much as FLUX-STYLE's."""

from __future__ import annotations

from lego_edit.evaluation.plan_kinds import right_kind


def _plan(*steps: tuple[str, dict]) -> dict:
    pipeline = [{"step": i, "model": model, "input": {"image": "init[image]", **inputs},
                 "output": {"image": f"step{i}[image]"}} for i, (model, inputs) in enumerate(steps, 1)]
    return {"process": "test", "pipeline": [*pipeline, {"result": f"[step{len(steps)}[image]]"}]}


def test_a_masked_tone_step_is_an_adjust_and_a_whole_image_one_is_not():
    masked = _plan(("RES", {"prompt": "face"}), ("CONTRAST", {"amount": 0.4, "mask": "step1[mask]"}))
    masked["pipeline"][0]["output"] = {"mask": "step1[mask]", "image": "step1[image]"}
    assert right_kind("adjust", masked)
    assert not right_kind("adjust", _plan(("CONTRAST", {"amount": 0.4, "mask": None})))
    assert right_kind("tone", _plan(("CONTRAST", {"amount": 0.4, "mask": None})))


def test_black_and_white_by_saturation_is_a_style_only_at_minus_one_on_the_whole_image():
    assert right_kind("style", _plan(("SATURATION", {"amount": -1, "mask": None})))
    assert right_kind("style", _plan(("SATURATION", {"amount": "-1.0"})))
    assert not right_kind("style", _plan(("SATURATION", {"amount": -0.5, "mask": None})))
    assert not right_kind("style", _plan(("SATURATION", {"amount": -1, "mask": "init[mask]"})))
    assert right_kind("style", _plan(("FLUX-STYLE", {"prompt": "a cat", "style": "watercolor"})))
