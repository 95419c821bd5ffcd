"""The Builder's brick tables come from the registry: a brick registered by a third party is named in
feedback and judged by its declared role, family and ports, with no change to the Builder."""

from __future__ import annotations

import pytest

from lego_edit.bricks.registry import Brick, BrickRole, Port, Registry
from lego_edit.bricks.valuetype import ValueType
from lego_edit.builder import Builder, PlanError
from lego_edit.builder.feedback import ForbidBrick, ForbidOrder, KeepRegion, RequireBrick, brick_name, parse_feedback
from lego_edit.builder.rules import PlanRefused, plan_rules, well_formed
from lego_edit.builder.tables import brick_tables

IMAGE, MASK, STR = ValueType.IMAGE, ValueType.MASK, ValueType.STR


def _brick(name: str, inputs, outputs, role: BrickRole, family: str | None = None) -> Brick:
    brick = Brick(name, f"{name} does something.", tuple(inputs), tuple(outputs), role=role, family=family)
    brick.backend("test")(lambda ctx, **kw: {})
    return brick


def _with(registry, *bricks: Brick) -> Registry:
    reg = Registry(list(registry))
    for b in bricks:
        reg.register(b)
    return reg


def _wf(*entries, result):
    pipeline = [{"step": n, "model": m, "input": i, "output": {}} for n, m, i in entries]
    return {"process": "t", "pipeline": [*pipeline, {"result": result}]}


def test_builtin_roles_give_the_feedback_vocabulary():
    tables = brick_tables()
    assert tables.segmenters == {"RES", "SOS", "MASK-SEG"}
    # Mask-only steps that ForbidOrder follows a mask through: the MASK role, and segmenters taking a mask.
    assert tables.mask_helpers == {"BBOX", "INVERSE", "COMPOSE", "RESIZE", "GROW-MASK", "MASK-SEG"}
    # Bricks that change pixels: the EDIT role, and MASK-role bricks with an image output (INVERSE's image
    # difference among them).
    tone = {"CONTRAST", "SATURATION", "TEMPERATURE", "TINT", "WHITE-BALANCE", "EXPOSURE", "SHADOWS-HIGHLIGHTS", "VIGNETTE",
            "AUTO-LEVELS"}
    restore, geometry = {"SHARPEN", "SMOOTH", "DENOISE", "DEHAZE", "BLUR", "PIXELATE", "UPSCALE", "DESCRATCH",
                         "RED-EYE"}, {"CROP", "ROTATE", "FLIP", "STRAIGHTEN", "TRIM", "CROP-EDGES", "CROP-TO",
                                                    "SCALE"}
    assert tables.editing == {"FASTINPAINT", "FLUX-INPAINT", "FLUX-FILL", "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE",
                              "FLUX-ENV", "FLUX-POSE", "FLUX-BRIGHT", "EDIT", "COMPOSE", "RESIZE", "INVERSE",
                              *tone, *restore, *geometry}
    assert tables.families == {"FASTINPAINT": "remove", "FLUX-INPAINT": "remove", "FLUX-FILL": "fill",
                               "ADD-PRED": "fill", "FLUX-RCM": "recolor", "FLUX-CBG": "background",
                               "FLUX-STYLE": "style", "FLUX-ENV": "env", "FLUX-POSE": "pose",
                               "FLUX-BRIGHT": "bright", "EDIT": "edit", "RESIZE": "resize",
                               **dict.fromkeys(tone, "tone"), **dict.fromkeys(restore, "restore"),
                               **dict.fromkeys(geometry, "geometry")}
    assert tables.optional_inputs["RESIZE"] == {"mask", "image"} and tables.optional_inputs["FASTINPAINT"] == set()


def test_tables_are_derived_once_per_registry_and_again_when_it_changes(registry):
    reg = Registry(list(registry))
    first = brick_tables(reg)
    assert brick_tables(reg) is first
    reg.register(_brick("GLOW", [Port("image", IMAGE)], [Port("image", IMAGE)], BrickRole.EDIT, "bright"))
    second = brick_tables(reg)
    assert second is not first and "GLOW" in second and second.families["GLOW"] == "bright"
    assert "GLOW" not in brick_tables() and "GLOW" not in brick_tables(registry)


def test_a_third_party_brick_can_be_named_in_feedback(registry):
    reg = _with(registry, _brick("MYBRICK", [Port("image", IMAGE)], [Port("image", IMAGE)], BrickRole.EDIT))
    assert parse_feedback("don't use MYBRICK", reg) == [ForbidBrick("MYBRICK")]
    assert parse_feedback("use mybrick", reg) == [RequireBrick("MYBRICK")]
    assert parse_feedback("don't use RES before MYBRICK", reg) == [ForbidOrder("RES", "MYBRICK")]
    assert brick_name("my brick", reg.names()) == "MYBRICK"
    with pytest.raises(ValueError, match="'MYBRICK'.*not a brick"):  # the built-in catalog does not have it
        parse_feedback("don't use MYBRICK")


def test_the_builder_knows_the_third_party_bricks_of_its_registry(registry):
    reg = _with(registry, _brick("MYBRICK", [Port("image", IMAGE)], [Port("image", IMAGE)], BrickRole.EDIT))
    builder = Builder(reg)
    plan = builder.plan("remove the dog", feedback=["don't use MYBRICK"])
    assert [s.model for s in plan.workflow.steps] == ["RES", "FASTINPAINT", "FLUX-INPAINT"]
    with pytest.raises(PlanError) as info:  # understood; the rules planner cannot use it, and says so
        builder.plan("remove the dog", feedback=["use MYBRICK"])
    assert info.value.code == "refused" and "does not use MYBRICK" in str(info.value)
    with pytest.raises(PlanError) as info:
        Builder(registry).plan("remove the dog", feedback=["use MYBRICK"])
    assert info.value.code == "bad_feedback" and "not a brick" in str(info.value)


def test_a_new_edit_brick_is_an_edit_for_keep_region(registry):
    """An EDIT-role brick painting through an INVERSE mask edits the background: no Builder change needed."""
    darken = _brick("DARKEN", [Port("image", IMAGE), Port("mask", MASK)], [Port("image", IMAGE)], BrickRole.EDIT)
    reg = _with(registry, darken)
    wf = _wf((1, "SOS", {"image": "init[image]"}),
             (2, "INVERSE", {"mask1": None, "mask2": "step1[mask]"}),
             (3, "DARKEN", {"image": "init[image]", "mask": "step2[mask]"}), result="[step3[image]]")
    [keep] = parse_feedback("keep the background unchanged", reg)
    assert keep == KeepRegion("background") and keep.violations(wf)
    assert not KeepRegion("background").violations(wf)  # the built-in catalog knows no DARKEN
    # the same brick declared as a segmenter is not an edit
    reg2 = _with(registry, _brick("DARKEN", darken.inputs, darken.outputs, BrickRole.SEGMENT))
    assert not parse_feedback("keep the background unchanged", reg2)[0].violations(wf)


def test_a_new_segmenter_reading_a_cutout_edits_nothing(registry):
    outline = _brick("OUTLINE", [Port("image", IMAGE)], [Port("mask", MASK)], BrickRole.SEGMENT)
    wf = _wf((1, "RES", {"image": "init[image]", "prompt": "sky"}),
             (2, "OUTLINE", {"image": "step1[image]"}), result="[step2[mask]]")
    assert not parse_feedback("keep the sky", _with(registry, outline))[0].violations(wf)
    assert KeepRegion("sky").violations(wf)  # unknown to the built-in catalog: counted as an edit


def test_a_new_mask_brick_passes_the_mask_on_for_forbid_order(registry):
    """ForbidOrder follows a mask through a MASK-role brick, whatever its mask port is called."""
    grow = _brick("GROW", [Port("m", MASK), Port("pixels", STR)], [Port("grown", MASK)], BrickRole.MASK)
    wf = _wf((1, "RES", {"image": "init[image]", "prompt": "dog"}),
             (2, "GROW", {"m": "step1[mask]", "pixels": "5"}),
             (3, "FASTINPAINT", {"image": "init[image]", "mask": "step2[grown]"}), result="[step3[image]]")
    [order] = parse_feedback("don't use RES before FASTINPAINT", _with(registry, grow))
    assert order.violations(wf)
    assert not ForbidOrder("RES", "FASTINPAINT").violations(wf)  # GROW unknown: not followed


def test_a_new_style_family_brick_without_a_mask_edits_the_whole_image(registry):
    sketch = _brick("SKETCH", [Port("image", IMAGE), Port("region", MASK, optional=True)], [Port("image", IMAGE)],
                    BrickRole.EDIT, "style")
    reg = _with(registry, sketch)
    whole = _wf((1, "SKETCH", {"image": "init[image]", "region": None}), result="[step1[image]]")
    local = _wf((1, "SOS", {"image": "init[image]"}),
                (2, "SKETCH", {"image": "init[image]", "region": "step1[mask]"}), result="[step2[image]]")
    [keep] = parse_feedback("keep the dog unchanged", reg)
    assert keep.violations(whole) and not keep.violations(local)
    assert not well_formed(whole, False, reg) and well_formed(whole, False)  # SKETCH: known only to reg


def test_the_rules_planner_plans_with_the_bricks_the_registry_has(registry):
    without_flux = Registry([b for b in registry if b.name != "FLUX-INPAINT"])
    wf = plan_rules("remove the dog", registry=without_flux).workflow
    assert [e["model"] for e in wf["pipeline"] if "model" in e] == ["RES", "FASTINPAINT"]
    no_removal = Registry([b for b in registry if b.family != "remove" and b.name != "FLUX-FILL"])
    with pytest.raises(PlanRefused, match="catalog lacks"):
        plan_rules("remove the dog", registry=no_removal)
    no_res = Registry([b for b in registry if b.name != "RES"])
    wf = plan_rules("remove the main subject", registry=no_res).workflow
    assert "RES" not in [e["model"] for e in wf["pipeline"] if "model" in e]
