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


def _masked(*edits: tuple[str, str, dict]) -> dict:
    """RES then an edit brick on its mask, for each (prompt, model, inputs), each edit on the last one's image."""
    pipeline, image, n = [], "init[image]", 0
    for prompt, model, inputs in edits:
        pipeline.append({"step": n + 1, "model": "RES", "input": {"image": "init[image]", "prompt": prompt},
                         "output": {"mask": f"step{n + 1}[mask]"}})
        pipeline.append({"step": n + 2, "model": model, "input": {"image": image, "mask": f"step{n + 1}[mask]",
                                                                   **inputs}, "output": {"image": f"step{n + 2}[image]"}})
        image, n = f"step{n + 2}[image]", n + 2
    return {"process": "test", "pipeline": [*pipeline, {"result": f"[{image}]"}]}


def test_compose_counts_edits_not_brick_families():
    three_swaps = _masked(("chair", "FLUX-FILL", {"prompt": "armchair"}), ("clock", "FLUX-FILL", {"prompt": "mirror"}),
                          ("couch", "FLUX-FILL", {"prompt": "sofa"}))
    assert right_kind("compose", three_swaps)
    two_regions = _masked(("background", "FLUX-BRIGHT", {"ratio": 0.6}), ("flowers", "FLUX-BRIGHT", {"ratio": 1.4}))
    assert right_kind("compose", two_regions)
    assert not right_kind("compose", _masked(("chair", "FLUX-FILL", {"prompt": "armchair"})))


def test_a_refined_removal_is_one_edit_not_a_composition():
    removal = _masked(("dog", "FASTINPAINT", {}))
    removal["pipeline"].insert(2, {"step": 3, "model": "FLUX-INPAINT",
                                   "input": {"image": "init[image]", "mask": "step1[mask]", "preimage": "step2[image]"},
                                   "output": {"image": "step3[image]"}})
    removal["pipeline"][-1] = {"result": "[step3[image]]"}
    assert right_kind("remove", removal) and not right_kind("compose", removal)
    removal["pipeline"].insert(3, {"step": 4, "model": "TEMPERATURE",
                                   "input": {"image": "step3[image]", "amount": 0.3, "mask": None},
                                   "output": {"image": "step4[image]"}})
    removal["pipeline"][-1] = {"result": "[step4[image]]"}
    assert right_kind("compose", removal)


def test_a_whole_image_edit_cut_out_and_composed_back_has_the_cut_out_region():
    """brighten, RES "background" on that image, COMPOSE it over the original: one region's edit; twice, on two
    regions, is a composition; the same region twice is one edit."""
    def region_brightened(prompt: str, image: str, n: int) -> list[dict]:
        return [{"step": n, "model": "FLUX-BRIGHT", "input": {"image": image, "ratio": 0.65}, "output": {"image": f"step{n}[image]"}},
                {"step": n + 1, "model": "RES", "input": {"image": f"step{n}[image]", "prompt": prompt},
                 "output": {"image": f"step{n + 1}[image]"}},
                {"step": n + 2, "model": "COMPOSE", "input": {"image1": image, "image2": f"step{n + 1}[image]", "mask1": None,
                                                              "mask2": None}, "output": {"image": f"step{n + 2}[image]"}}]

    def plan(first: str, second: str) -> dict:
        return {"process": "test", "pipeline": [*region_brightened(first, "init[image]", 1),
                                                *region_brightened(second, "step3[image]", 4), {"result": "[step6[image]]"}]}
    assert right_kind("compose", plan("background", "flowers"))
    assert not right_kind("compose", plan("flowers", "flowers"))


def test_an_object_redrawn_in_its_own_region_is_an_adjust_and_a_new_thing_is_not():
    """FLUX-FILL in RES's mask redraws that object (a haircut, a tuxedo for a shirt): an attribute change the
    colour brick cannot do; FLUX-FILL in ADD-PRED's mask paints something new."""
    redrawn = _masked(("her hair", "FLUX-FILL", {"prompt": "bob haircut"}))
    assert right_kind("adjust", redrawn) and right_kind("replace", redrawn)
    added = _plan(("ADD-PRED", {"prompt": "hat"}), ("FLUX-FILL", {"prompt": "hat", "mask": "step1[mask]"}))
    added["pipeline"][0]["output"] = {"mask": "step1[mask]"}
    assert not right_kind("adjust", added)
    selected = _plan(("FLUX-FILL", {"prompt": "a tuxedo", "mask": "init[mask]"}))
    assert right_kind("adjust", selected)
