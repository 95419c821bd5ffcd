"""Worked examples for the model backends' prompt, written by the rules planner.

Generating them (rather than keeping JSON by hand) keeps every example valid against the live
catalog; the prompt shows only those whose bricks are listed.
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
