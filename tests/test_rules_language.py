"""The rules planner on how people ask: request forms, paraphrased verbs, scene phenomena, tone words,
geometry, aspect-ratio outpainting, text edits and compound requests (sentences written for these tests)."""

from __future__ import annotations

import pytest

from lego_edit.builder.feedback import steps_of
from lego_edit.builder.rules import PlanRefused, plan_rules


def steps(text: str, **kw):
    return [(s.model, {k: v for k, v in s.inputs.items() if v is not None}) for s in steps_of(plan_rules(text, **kw).workflow)]


def models(text: str, **kw) -> list[str]:
    return [m for m, _ in steps(text, **kw)]


@pytest.mark.parametrize("text", [
    "Could somebody please erase the bicycle leaning on the fence?",
    "[Request] please take out the photobomber",
    "is it possible to delete the trash can",
    "I'd like it if you could remove the lamp post",
    "The kettle needs to be removed",
    "the umbrella must disappear",
    "the traffic cone is to be expunged from the picture",
    "Make sure there are no pigeons in the photo",
    "obliterate the scooter",
    "I want the ladder gone",
    "hi all! can anyone help me remove the sticker on the laptop? thanks in advance",
])
def test_removal_requests_in_many_forms(text):
    assert models(text)[-1] == "FLUX-INPAINT"


def test_true_questions_and_gibberish_are_still_refused():
    for text in ("what is in this picture?", "how many cats are there?", "asdf qwer zxcv"):
        with pytest.raises(PlanRefused):
            plan_rules(text)


@pytest.mark.parametrize("text, brick", [
    ("clear the mist please", "DEHAZE"),
    ("could you get rid of the grain?", "DENOISE"),
    ("remove the noise from this photo", "DENOISE"),
    ("fix the blur", "SHARPEN"),
    ("sharpen it a little", "SHARPEN"),
])
def test_scene_phenomena_are_not_segmented(text, brick):
    found = models(text)
    assert brick in found and "RES" not in found and "FASTINPAINT" not in found


def test_snow_and_rain_are_cleared_by_the_environment_brick():
    (model, inputs), = steps("wipe the snow off the photo")
    assert model == "FLUX-ENV" and "without snow" in inputs["prompt"]


def test_reflections_are_refused_honestly():
    with pytest.raises(PlanRefused, match="no brick that removes reflections"):
        plan_rules("get rid of the reflections in the window")


@pytest.mark.parametrize("text, expected", [
    ("more contrast", [("CONTRAST", 0.3)]),
    ("make it pop", [("CONTRAST", 0.3), ("SATURATION", 0.3)]),
    ("make the photo a touch warmer", [("TEMPERATURE", 0.15)]),
    ("cool it down a lot", [("TEMPERATURE", -0.54)]),
    ("desaturate it slightly", [("SATURATION", -0.24)]),
])
def test_tone_words_plan_the_classical_bricks(text, expected):
    got = [(m, i.get("amount")) for m, i in steps(text)]
    assert got == expected


def test_black_and_white_except_one_object():
    got = steps("make everything black and white except the yellow taxi")
    assert [m for m, _ in got] == ["RES", "INVERSE", "SATURATION"]
    assert got[0][1]["prompt"] == "yellow taxi" and got[2][1]["amount"] == -1.0
    assert got[2][1]["mask"] == "step2[mask]"


def test_darker_and_moodier_keeps_both_parts():
    assert models("darker and moodier") == ["FLUX-BRIGHT", "CONTRAST", "SATURATION"]


@pytest.mark.parametrize("text, step", [
    ("crop it to 16:9", ("CROP", {"aspect": "16:9"})),
    ("crop to a square", ("CROP", {"aspect": "1:1"})),
    ("rotate the image 90 degrees clockwise", ("ROTATE", {"angle": -90.0})),
    ("turn the photo upside down", ("ROTATE", {"angle": 180.0})),
    ("mirror the picture", ("FLIP", {"direction": "horizontal"})),
    ("flip it vertically", ("FLIP", {"direction": "vertical"})),
])
def test_geometry(text, step):
    model, inputs = steps(text)[-1]
    assert (model, {k: v for k, v in inputs.items() if k != "image"}) == step


def test_outpaint_to_an_aspect_ratio_uses_the_image_size():
    (_, cmi), _ = steps("extend the picture to 16:9", image_size=(1200, 900))
    assert cmi["left_ratio"] == cmi["right_ratio"] == pytest.approx((16 / 9 * 900 / 1200 - 1) / 2, abs=1e-3)
    assert "top_ratio" not in cmi and "bottom_ratio" not in cmi
    (_, square), _ = steps("make it square", image_size=(1600, 900))
    assert square["top_ratio"] == square["bottom_ratio"] == pytest.approx((1600 / 900 - 1) / 2, abs=1e-3)
    (_, banner), _ = steps("expand it into a 2:1 banner", image_size=(1000, 1000))
    assert banner["left_ratio"] == banner["right_ratio"] == 0.5


def test_outpaint_twice_as_wide():
    (_, cmi), _ = steps("extend it so it is twice as wide")
    assert cmi["left_ratio"] == cmi["right_ratio"] == 0.5 and "top_ratio" not in cmi


def test_an_expression_is_a_pose_edit():
    assert models("make him grin") == ["FLUX-POSE"]


def test_compound_requests_keep_every_part_or_name_the_one_they_cannot_do():
    assert models("delete the mailbox and increase the contrast")[-1] == "CONTRAST"
    with pytest.raises(PlanRefused) as info:
        plan_rules("remove the bench and make the pavement sparkle")
    assert "'remove the bench'" in info.value.reason and "make the pavement sparkle" in info.value.reason


def test_deleting_text_is_a_removal_of_the_text_region():
    got = steps("please delete the date stamp")
    assert got[0] == ("RES", {"image": "init[image]", "prompt": "date stamp"}) and got[-1][0] == "FLUX-INPAINT"


def test_passive_recolour_and_wish():
    got = steps("The mug should be painted green")
    assert got[0][1]["prompt"] == "mug" and got[-1] == ("FLUX-RCM", {**got[-1][1], "prompt": "green"})
