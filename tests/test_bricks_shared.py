"""One copy of each shared rule: the colour vocabulary, mask sizes, boxes, the CMI-PRED canvas."""

from __future__ import annotations

import numpy as np
import pytest

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import vocab
from lego_edit.bricks.registry import BrickError


def test_the_bricks_paint_and_find_the_vocabulary_colours():
    from lego_edit.bricks.builtin.color import find_colours
    from lego_edit.bricks.builtin.segment import _parse

    (name, rgb), = find_colours("grey")[0]
    assert name == "gray" and tuple(rgb) == vocab.RGB["gray"]
    assert find_colours("navy blue")[0][0][0] == "navy"
    assert find_colours("reddish")[1] == ["reddish"]  # a tint is found, never painted
    assert _parse("the teal object")[0] == vocab.hue_family("teal") == "cyan"
    assert _parse("a reddish thing")[0] == "red"
    assert _parse("the maroon car")[4] == ["maroon", "car"]  # no hue range: RES does not guess
    assert all(vocab.canonical(a) in vocab.RGB for a in vocab.ALIASES)
    assert all(family in vocab.HUE_RANGES for family in {*vocab.HUE_FAMILY.values(), *vocab.TINTS.values()})
    assert {"red", "grey", "reddish", "burgundy"} <= vocab.COLOUR_WORDS and "sky" not in vocab.COLOUR_WORDS


def test_one_mask_size_check_one_box_order():
    image, mask = np.zeros((20, 30, 4), np.uint8), np.zeros((10, 30), np.uint8)
    assert imageops.mask_size_problem(image, mask) == "the mask is 30x10 but the image is 30x20"
    with pytest.raises(BrickError, match="^RES: the mask is 30x10"):
        imageops.check_mask_size(image, mask, "RES")
    assert imageops.mask_size_problem(image, np.zeros((20, 30), np.uint8)) is None
    box = np.zeros((20, 30), np.uint8)
    box[2:5, 10:20] = 255
    assert imageops.bbox(box) == (10, 2, 20, 5)  # (x0, y0, x1, y1), exclusive ends
    assert imageops.bbox(box, margin=4) == (6, 0, 24, 9)
    assert imageops.bbox(np.zeros_like(box)) is None


def test_both_cmi_pred_backends_expand_the_canvas_by_one_rule():
    from lego_edit.bricks.builtin.canvas import caption_and_expand
    from lego_edit.bricks.registry import BrickContext

    image = np.full((10, 20, 4), 200, np.uint8)
    out = caption_and_expand(BrickContext(), image, left_ratio=0.5, bottom_ratio=0.2)
    canvas, mask = imageops.expand_canvas(image, 0.5, None, None, 0.2)
    assert np.array_equal(out["image"], canvas) and np.array_equal(out["mask"], mask)
    assert canvas.shape == (12, 30, 4) and (mask > 0).sum() == 12 * 30 - 10 * 20
    assert imageops.expand_canvas(image, None, 0, None, None) is None
    with pytest.raises(BrickError, match="top_ratio must be between 0 and 4"):
        caption_and_expand(BrickContext(), image, top_ratio=5)
