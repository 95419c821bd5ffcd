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
    from lego_edit.bricks.builtin import canvas
    from lego_edit.bricks.models import caption
    from lego_edit.bricks.registry import BrickContext

    assert caption.outpaint_canvas is canvas.outpaint_canvas and caption.canvas_ratios is canvas.canvas_ratios
    image = np.full((10, 20, 4), 200, np.uint8)
    out = canvas.caption_and_expand(BrickContext(), image, left_ratio=1.5, right_ratio=1.0, top_ratio=1.0,
                                    bottom_ratio=1.2)
    grown, mask = canvas.outpaint_canvas(image, (1.5, 1.0, 1.0, 1.2))
    assert np.array_equal(out["image"], grown) and np.array_equal(out["mask"], mask)
    assert grown.shape[1] == 1024 and grown.shape[0] % 64 == 0  # 30 x 12 grown, then 1024 on the long side
    with pytest.raises(BrickError, match="top_ratio must be between 1"):
        canvas.caption_and_expand(BrickContext(), image, left_ratio=1, right_ratio=1, top_ratio=6, bottom_ratio=1)
