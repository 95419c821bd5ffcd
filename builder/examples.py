"""Worked examples for the model backends' prompts.

The catalog profile's are written by the rules planner, which keeps every example valid against
the live catalog. The reference profile's follow the four patterns the released Builder was
trained on (tests check them against the catalog). Each prompt shows only those whose bricks it
lists.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

EXAMPLE_INSTRUCTIONS: tuple[tuple[str, bool], ...] = (
    ("output the dog's segmentation and remove the dog", False),
    ("make the car red", False),
    ("change the background to a beach", False),
    ("turn the image into a watercolor painting", True),
    ("make it brighter", False),
    ("remove the lamp and then make the sky orange", False),
)


@lru_cache(maxsize=1)
def worked_examples() -> tuple[tuple[str, dict[str, Any]], ...]:
    from lego_edit.builder.prompt import USER_MASK_NOTE
    from lego_edit.builder.rules import PlanRefused, plan_rules

    examples = []
    for instruction, has_mask in EXAMPLE_INSTRUCTIONS:
        try:
            planned = plan_rules(instruction, has_mask=has_mask)
        except PlanRefused:
            continue
        label = f"{USER_MASK_NOTE} {instruction}" if has_mask else instruction
        examples.append((label, planned.workflow))
    return tuple(examples)


def _step(n: int, model: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return {"step": n, "model": model, "input": inputs, "output": outputs}


def _caption(n: int, image: str, ratio: float | None) -> dict[str, Any]:
    ratios = {f"{side}_ratio": ratio for side in ("left", "right", "top", "bottom")}
    out = {"caption": f"step{n}[caption]", "image": f"step{n}[image]" if ratio else None,
           "mask": f"step{n}[mask]" if ratio else None}
    return _step(n, "CMI-PRED", {"image": image, **ratios}, out)


@lru_cache(maxsize=1)
def reference_examples() -> tuple[tuple[str, dict[str, Any]], ...]:
    """The worked examples of the reference prompt's layout: the four patterns the released Builder was
    shown (add then outpaint, segment and remove, whole-image style with a mask, style of the selected
    object), with instructions in our words. Outpainting gives all four ratios (2.0: twice as large)."""
    from lego_edit.builder.profiles import REFERENCE_MASK_PREFIX

    def wf(process: str, steps: list[dict[str, Any]], result: str) -> dict[str, Any]:
        return {"process": process, "pipeline": [*steps, {"result": result}]}

    add_then_expand = "add a cat, then expand the picture to twice its size"
    remove = "show the dog's segmentation, then remove the dog"
    style_all = REFERENCE_MASK_PREFIX + "turn the picture into a watercolor painting"
    style_object = REFERENCE_MASK_PREFIX + "render this girl in qwer style"
    return (
        (add_then_expand, wf(add_then_expand, [
            _step(1, "ADD-PRED", {"image": "init[image]", "prompt": "cat", "mask": None}, {"mask": "step1[mask]"}),
            _step(2, "FLUX-FILL", {"image": "init[image]", "mask": "step1[mask]", "prompt": "cat", "preimage": None},
                  {"image": "step2[image]"}),
            _caption(3, "step2[image]", 2.0),
            _step(4, "FLUX-FILL", {"image": "step3[image]", "mask": "step3[mask]", "prompt": "step3[caption]",
                                   "preimage": "step2[image]"}, {"image": "step4[image]"}),
        ], "[step4[image]]")),
        (remove, wf(remove, [
            _step(1, "RES", {"image": "init[image]", "prompt": "dog"}, {"mask": "step1[mask]", "image": "step1[image]"}),
            _step(2, "FASTINPAINT", {"image": "init[image]", "mask": "step1[mask]"},
                  {"image": "step2[image]", "score": "step2[score]"}),
            _step(3, "FLUX-INPAINT", {"image": "init[image]", "mask": "step1[mask]", "preimage": "step2[image]",
                                      "score": "step2[score]"}, {"image": "step3[image]"}),
        ], "[step1[image], step3[image]]")),
        (style_all, wf(style_all, [
            _caption(1, "init[image]", None),
            _step(2, "FLUX-STYLE", {"image": "init[image]", "mask": None, "prompt": "step1[caption]",
                                    "style": "watercolor style"}, {"image": "step2[image]"}),
        ], "[step2[image]]")),
        (style_object, wf(style_object, [
            _step(1, "MASK-SEG", {"image": "init[image]", "mask": "init[mask]"},
                  {"mask": "step1[mask]", "image": "step1[image]"}),
            _caption(2, "init[image]", None),
            _step(3, "FLUX-STYLE", {"image": "init[image]", "mask": "step1[mask]", "prompt": "step2[caption]",
                                    "style": "qwer style"}, {"image": "step3[image]"}),
        ], "[step3[image]]")),
    )
