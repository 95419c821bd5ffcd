"""Plain-words corrections of a result (builder/corrections.py): parsing, each correction on real
workflow dicts, the Builder's re-plan path, and a re-plan through a real daemon on loopback."""

from __future__ import annotations

import copy

import pytest

from lego_edit.bricks.checker import check
from lego_edit.bricks.workflow import Workflow
from lego_edit.builder import Builder, PlanError
from lego_edit.builder.corrections import (
    CorrectionError,
    Exclude,
    MissedPart,
    Residue,
    Spatial,
    Strength,
    WrongObject,
    apply_corrections,
    parse_correction,
    part_phrase,
    read_feedback,
)
from lego_edit.builder.feedback import ForbidBrick, KeepRegion
from lego_edit.builder.rules import plan_rules
from lego_edit.builder.tables import BrickTables
from tests.daemon_util import Raw, config, image_desc, red_disk, running_server


def steps(workflow):
    return [(s["step"], s["model"], s["input"]) for s in workflow["pipeline"] if "model" in s]


def models(workflow):
    return [s["model"] for s in workflow["pipeline"] if "model" in s]


def result(workflow):
    return workflow["pipeline"][-1]["result"]


def checks_clean(workflow, registry, inits=("image",)):
    report = check(Workflow.from_dict(workflow), registry, inits=inits)
    assert report.ok, report.errors
    return report


@pytest.fixture(scope="module")
def remove_ball():
    return plan_rules("remove the red ball").workflow


FAST_ONLY = {"process": "remove the cup", "pipeline": [
    {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "cup"}, "output": {"mask": "step1[mask]"}},
    {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
     "output": {"image": "step2[image]", "score": "step2[score]"}},
    {"result": "[step2[image]]"}]}

BRIGHT_AND_CONTRAST = {"process": "brighter, more contrast", "pipeline": [
    {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.8}, "output": {"image": "step1[image]"}},
    {"step": 2, "model": "CONTRAST", "input": {"image": "step1[image]", "amount": 0.4, "mask": None},
     "output": {"image": "step2[image]"}},
    {"result": "[step2[image]]"}]}


# -- parsing -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("there's still a smudge", Residue()),
    ("still visible", Residue()),
    ("traces left where the ball was", Residue()),
    ("I can see a ghost of it", Residue()),
    ("there's still a dark smudge where the ball was", Residue()),
    ("you missed the handle", MissedPart("handle")),
    ("you missed the shadow", MissedPart("shadow")),
    ("you forgot its reflection", MissedPart("reflection")),
    ("the shadow is still there", MissedPart("shadow")),
    ("too strong", Strength(-1)),
    ("way too much", Strength(-1)),
    ("overdone", Strength(-1)),
    ("tone it down", Strength(-1)),
    ("not enough", Strength(+1)),
    ("not strong enough", Strength(+1)),
    ("stronger", Strength(+1)),
    ("more", Strength(+1)),
    ("a bit more please", Strength(+1)),
    ("only the left one", Spatial("left")),
    ("just the one on the right", Spatial("right")),
    ("only the top one", Spatial("top")),
    ("the one in the centre only", Spatial("middle")),
    ("the wrong object", WrongObject()),
    ("not that one", WrongObject()),
    ("you removed the wrong thing", WrongObject()),
    # more of how people say them
    ("the edges are visible", Residue()),
    ("you also need to remove its shadow", MissedPart("shadow")),
    ("remove the shadow too", MissedPart("shadow")),
    ("what about the shadow?", MissedPart("shadow")),
    ("also the handle", MissedPart("handle")),
    ("half as strong", Strength(-1)),
    ("do it more", Strength(+1)),
    ("the left dog only", Spatial("left")),
    ("the right one, not the left", Spatial("right")),
    ("that is not the right object", WrongObject()),
    ("not him, the other guy", WrongObject()),
])
def test_parse_correction(text, expected):
    assert parse_correction(text) == expected


def test_read_feedback_sorts_constraints_and_corrections():
    said = read_feedback(["there's still a smudge and you missed the shadow", "don't use SOS. keep her face"])
    assert said.corrections == [Residue(), MissedPart("shadow"), Exclude("her face")]
    assert said.constraints == [ForbidBrick("SOS"), KeepRegion("her face")]
    with pytest.raises(ValueError, match="still a smudge"):  # neither: the refusal gives plain-words examples
        read_feedback("flibbertigibbet")
    with pytest.raises(ValueError, match="'FOO'"):
        read_feedback("don't use FOO")


# -- each correction on real workflow dicts --------------------------------------------------------------
def test_residue_grows_the_mask_before_the_removal(remove_ball, registry):
    before = copy.deepcopy(remove_ball)
    fixed, note = Residue().apply(remove_ball, registry)
    assert remove_ball == before  # pure: the previous plan is not touched
    assert steps(fixed)[0] == steps(remove_ball)[0]  # RES keeps its number and inputs: cached
    assert models(fixed) == ["RES", "GROW-MASK", "FASTINPAINT", "FLUX-INPAINT"]
    assert steps(fixed)[1][2] == {"mask": "step1[mask]", "pixels": 0.02}
    assert steps(fixed)[2][2]["mask"] == steps(fixed)[3][2]["mask"] == "step2[mask]"
    assert steps(fixed)[3][2]["preimage"] == "step3[image]" and result(fixed) == "[step4[image]]"
    assert "GROW-MASK" in note
    checks_clean(fixed, registry)
    again, _ = Residue().apply(fixed, registry)  # "still a smudge" again: the same step grows more
    assert models(again) == models(fixed) and steps(again)[1][2]["pixels"] == 0.03
    checks_clean(again, registry)


def test_residue_adds_flux_inpaint_to_a_fastinpaint_only_removal(registry):
    fixed, note = Residue().apply(FAST_ONLY, registry)
    assert models(fixed) == ["RES", "GROW-MASK", "FASTINPAINT", "FLUX-INPAINT"]
    assert steps(fixed)[3][2] == {"image": "init[image]", "mask": "step2[mask]", "preimage": "step3[image]",
                                  "score": "step3[score]"}
    assert result(fixed) == "[step4[image]]" and "FLUX-INPAINT" in note
    checks_clean(fixed, registry)


def test_residue_without_grow_mask_uses_resize(remove_ball, registry):
    tables = BrickTables.of(b for b in registry if b.name != "GROW-MASK")
    fixed, note = Residue().apply(remove_ball, tables)
    assert models(fixed) == ["RES", "RESIZE", "FASTINPAINT", "FLUX-INPAINT"] and "RESIZE" in note
    assert steps(fixed)[1][2] == {"mask": "step1[mask]", "image": None, "ratio": 1.15}
    checks_clean(fixed, registry)
    again, _ = Residue().apply(fixed, tables)
    assert steps(again)[1][2]["ratio"] > 1.15


@pytest.mark.parametrize("part, phrase", [("handle", "red ball's handle"), ("shadow", "shadow of red ball"),
                                          ("its reflection", "reflection of red ball")])
def test_missed_part_is_composed_into_the_mask(remove_ball, registry, part, phrase):
    fixed, note = MissedPart(part).apply(remove_ball, registry)
    assert models(fixed) == ["RES", "RES", "COMPOSE", "FASTINPAINT", "FLUX-INPAINT"]
    assert steps(fixed)[0] == steps(remove_ball)[0]
    assert steps(fixed)[1][2] == {"image": "init[image]", "prompt": phrase}
    assert steps(fixed)[2][2]["mask1"] == "step1[mask]" and steps(fixed)[2][2]["mask2"] == "step2[mask]"
    assert steps(fixed)[3][2]["mask"] == "step3[mask]" and phrase in note
    checks_clean(fixed, registry)
    again, note = MissedPart(part).apply(fixed, registry)  # said twice: the mask is grown instead
    assert models(again).count("RES") == 2 and "GROW-MASK" in models(again)


def test_part_phrase():
    assert part_phrase("the shadow", "cup") == "shadow of cup"
    assert part_phrase("handle", None) == "handle"
    assert part_phrase("shadow of the cup", "cup") == "shadow of the cup"


def test_strength_moves_literals_toward_or_away_from_neutral(registry):
    weaker, note = Strength(-1).apply(BRIGHT_AND_CONTRAST, registry)
    assert steps(weaker)[0][2]["ratio"] == 0.65 and steps(weaker)[1][2]["amount"] == 0.2
    assert "0.8 -> 0.65" in note
    stronger, _ = Strength(+1).apply(BRIGHT_AND_CONTRAST, registry)
    assert steps(stronger)[0][2]["ratio"] == 0.95 and steps(stronger)[1][2]["amount"] == 0.6
    checks_clean(weaker, registry)
    darker = copy.deepcopy(BRIGHT_AND_CONTRAST)
    darker["pipeline"][0]["input"]["ratio"] = 0.2  # a darkening: "too strong" brings it back toward 0.5
    assert steps(Strength(-1).apply(darker, registry)[0])[0][2]["ratio"] == 0.35
    released = copy.deepcopy(BRIGHT_AND_CONTRAST)
    released["pipeline"][0]["input"]["ratio"] = 1.5  # the released Builder's 1.5 brightens as 1.0 does
    assert steps(Strength(-1).apply(released, registry)[0])[0][2]["ratio"] == 0.75  # visibly weaker, not 1.0


def test_strength_without_a_literal_is_refused(remove_ball, registry):
    with pytest.raises(CorrectionError, match="no strength setting"):
        Strength(-1).apply(remove_ball, registry)


def test_spatial_relation_goes_into_the_res_prompt(remove_ball, registry):
    fixed, note = Spatial("left").apply(remove_ball, registry)
    assert steps(fixed)[0][2]["prompt"] == "left red ball" and models(fixed) == models(remove_ball)
    assert steps(Spatial("right").apply(fixed, registry)[0])[0][2]["prompt"] == "right red ball"
    sos = plan_rules("remove the dog", constraints=[ForbidBrick("RES")]).workflow
    with pytest.raises(CorrectionError, match="select it and use the selection"):
        Spatial("left").apply(sos, registry)


def test_exclude_takes_the_region_out_of_the_mask(remove_ball, registry):
    fixed, note = Exclude("her face").apply(remove_ball, registry)
    assert models(fixed) == ["RES", "RES", "INVERSE", "FASTINPAINT", "FLUX-INPAINT"]
    assert steps(fixed)[1][2] == {"image": "init[image]", "prompt": "face"}
    assert steps(fixed)[2][2]["mask1"] == "step1[mask]" and steps(fixed)[2][2]["mask2"] == "step2[mask]"
    assert not KeepRegion("her face").violations(fixed)
    checks_clean(fixed, registry)
    with pytest.raises(CorrectionError, match="already"):  # idempotent
        Exclude("her face").apply(fixed, registry)
    sky, _ = Exclude("sky").apply(remove_ball, registry)  # "ball minus sky" is not a background edit
    assert not KeepRegion("sky").violations(sky)
    with pytest.raises(CorrectionError, match="edits the sky itself"):
        Exclude("sky").apply(plan_rules("make the sky orange").workflow, registry)


def test_exclude_gives_a_whole_image_edit_a_mask(registry):
    styled = plan_rules("make it look like a watercolour").workflow
    fixed, _ = Exclude("face").apply(styled, registry)
    assert "INVERSE" in models(fixed) and not KeepRegion("face").violations(fixed)
    checks_clean(fixed, registry)


def test_wrong_object_asks_for_a_selection(remove_ball, registry):
    with pytest.raises(CorrectionError, match="select it and use the selection"):
        WrongObject().apply(remove_ball, registry)


def test_apply_corrections_in_turn(remove_ball, registry):
    fixed, notes = apply_corrections(remove_ball, [Residue(), MissedPart("shadow")], registry)
    assert models(fixed) == ["RES", "GROW-MASK", "RES", "COMPOSE", "FASTINPAINT", "FLUX-INPAINT"] and len(notes) == 2
    checks_clean(fixed, registry)


# -- the Builder's re-plan path ------------------------------------------------------------------------
def test_builder_corrects_the_previous_plan(registry):
    builder = Builder(registry)
    first = builder.plan("remove the red ball")
    plan = builder.plan("remove the red ball", feedback=["there's still a smudge"], previous=first.workflow)
    assert plan.backend == "corrections" and "GROW-MASK" in plan.reasoning
    assert [s.model for s in plan.workflow.steps] == ["RES", "GROW-MASK", "FASTINPAINT", "FLUX-INPAINT"]
    # An older correction is already in `previous`: only the new feedback is applied again.
    again = builder.plan("remove the red ball", feedback=["there's still a smudge", "too strong"],
                         new_feedback=["you missed the shadow"], previous=plan.workflow,
                         previous_instruction="remove the red ball")
    assert [s.model for s in again.workflow.steps].count("GROW-MASK") == 1 and "COMPOSE" in again.reasoning
    # Brick constraints work as before, and with a correction the planner's plan is corrected.
    mixed = builder.plan("remove the red ball", feedback=["use MASK-SEG", "there's still a smudge"],
                         previous=first.workflow)
    names = [s.model for s in mixed.workflow.steps]
    assert mixed.backend == "rules" and "MASK-SEG" in names and "GROW-MASK" in names
    # A first plan with a correction: the correction is made to the fresh plan.
    fresh = builder.plan("remove the red ball", feedback=["there's still a smudge"])
    assert "GROW-MASK" in [s.model for s in fresh.workflow.steps]
    # "keep her face": the constraint, and on a re-plan the mask change too.
    kept = builder.plan("remove the red ball", feedback=["keep her face"], previous=first.workflow)
    assert [s.model for s in kept.workflow.steps] == ["RES", "RES", "INVERSE", "FASTINPAINT", "FLUX-INPAINT"]
    assert [s.model for s in builder.plan("remove the red ball", feedback=["keep her face"]).workflow.steps] == \
        ["RES", "FASTINPAINT", "FLUX-INPAINT"]


def test_builder_refusals_of_corrections(registry):
    builder = Builder(registry)
    first = builder.plan("remove the red ball")
    with pytest.raises(PlanError) as info:
        builder.plan("remove the red ball", feedback=["the wrong object"], previous=first.workflow)
    assert info.value.code == "refused" and "select it and use the selection" in str(info.value)
    with pytest.raises(PlanError) as info:
        builder.plan("remove the red ball", feedback=["too strong"], previous=first.workflow)
    assert info.value.code == "refused" and "strength" in str(info.value)
    with pytest.raises(PlanError) as info:
        builder.plan("remove the red ball", feedback=["flibbertigibbet"], previous=first.workflow)
    assert info.value.code == "bad_feedback" and "you missed the shadow" in str(info.value)


# -- through a real daemon on loopback -------------------------------------------------------------------
def test_daemon_replan_with_a_smudge_reruns_only_the_changed_steps():
    image = red_disk(160)
    with running_server(config(limits={"max_pixels": 400 * 400})) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "a", "type": "edit", "instruction": "remove the red ball",
                      "image": image_desc(160, 160)}, image.tobytes())
            first = raw.until_terminal("a", timeout=60)
            assert first[-1][0]["type"] == "result", first[-1][0]
            assert first[-1][0]["executed"] == [1, 2, 3]
            raw.send({"id": "b", "type": "edit", "replan_of": "a", "feedback": "there's still a smudge"})
            second = raw.until_terminal("b", timeout=60)
            plan = next(h for h, _ in second if h["type"] == "plan")
            names = [s["model"] for s in plan["workflow"]["pipeline"] if "model" in s]
            assert names == ["RES", "GROW-MASK", "FASTINPAINT", "FLUX-INPAINT"] and plan["backend"] == "corrections"
            done = second[-1][0]
            assert done["type"] == "result", done
            assert done["cached"] == [1] and done["executed"] == [2, 3, 4]  # the segmentation comes from the cache

            raw.send({"id": "c", "type": "edit", "replan_of": "b", "feedback": "there's still a smudge"})
            third = raw.until_terminal("c", timeout=60)
            plan = next(h for h, _ in third if h["type"] == "plan")
            grow = next(s for s in plan["workflow"]["pipeline"] if s.get("model") == "GROW-MASK")
            assert grow["input"]["pixels"] == 0.03 and third[-1][0]["cached"] == [1]  # grown once more, not twice

            raw.send({"id": "d", "type": "edit", "replan_of": "a", "feedback": "not that one"})
            header = raw.until_terminal("d")[-1][0]
            assert header["code"] == "plan_refused" and "select it and use the selection" in header["message"]
        finally:
            raw.close()
