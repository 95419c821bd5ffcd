"""`max_pixels` bounds what bricks make, not only what comes in: a brick that grows an image (CMI-PRED's
canvas, ROTATE's expanded canvas) checks the result's size against the limit before it allocates.

One CMI-PRED step once turned a 1000 x 1000 request into 9000 x 9000 (81 Mpx), and two chained ones
asked for a 19.7 GB allocation; its canvas now ends at a long side of 1024, as the reference's does.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any

import numpy as np
import pytest

from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.registry import BrickContext, BrickError, default_registry
from lego_edit.bricks.workflow import parse_workflow


def _image(side: int = 1000) -> np.ndarray:
    image = np.full((side, side, 4), 255, np.uint8)
    image[..., 0] = np.arange(side, dtype=np.uint8)[None, :]
    return image


def _cmi_pred(n: int, source: str, ratio: float) -> dict[str, Any]:
    return {"step": n, "model": "CMI-PRED",
            "input": {"image": source, "left_ratio": ratio, "right_ratio": ratio, "top_ratio": ratio,
                      "bottom_ratio": ratio},
            "output": {"caption": None, "image": f"step{n}[image]", "mask": None}}


def _two_expansions(first: float, second: float) -> Any:
    return parse_workflow(json.dumps({"process": "expand twice", "pipeline": [
        _cmi_pred(1, "init[image]", first), _cmi_pred(2, "step1[image]", second), {"result": "[step2[image]]"}]}))


def _run(workflow: Any, executor: Executor, image: np.ndarray) -> tuple[BaseException, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(StepFailed) as caught:
            executor.run(workflow, {"image": image})
        return caught.value, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        executor.close()


def test_chained_cmi_pred_steps_stay_within_1024_square_without_the_grown_canvas() -> None:
    """The canvas is resized to a long side of 1024 as the reference does, and the grown canvas is never
    allocated: two steps at the largest ratio (5 on every side) from 1000 x 1000 end at 1024 x 1024."""
    image = _image()
    executor = Executor(default_registry())
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = executor.run(_two_expansions(5.0, 5.0), {"image": image})
        seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        executor.close()
    ((ref, final),) = result.result
    assert ref == "step2[image]" and final.shape == (1024, 1024, 4)
    assert seconds < 5.0 and peak < 100 << 20, (seconds, peak >> 20)  # a 5x grown canvas would be 1.6 GB


def test_cmi_pred_over_a_configured_limit_below_its_canvas_fails_at_its_step() -> None:
    failed, seconds, peak = _run(_two_expansions(2.0, 2.0), Executor(default_registry(), max_pixels=500_000),
                                 _image())
    assert getattr(failed, "step", None) == 1 and "above the limit of 500000" in str(failed)
    assert seconds < 5.0 and peak < 100 << 20, (seconds, peak >> 20)


def test_the_model_cmi_pred_checks_before_the_captioner_loads() -> None:
    from lego_edit.bricks.models.caption import caption_and_expand

    with pytest.raises(BrickError, match=r"1024\u00d71024 = 1048576 pixels, above the limit of 1000000"):
        caption_and_expand(BrickContext(max_pixels=1_000_000), _image(), left_ratio=4, right_ratio=4, top_ratio=4,
                           bottom_ratio=4)


def test_rotate_checks_its_expanded_canvas() -> None:
    from lego_edit.bricks.builtin.geometry import rotate

    image = _image(100)
    assert rotate(BrickContext(max_pixels=142 * 142), image, 45)["image"].shape == (142, 142, 4)
    with pytest.raises(BrickError, match=r"ROTATE by 45 degrees: the expanded canvas would be 142\u00d7142 = 20164 "
                                         r"pixels, above the limit of 20000 \(limits.max_pixels\)"):
        rotate(BrickContext(max_pixels=20_000), image, 45)
    assert rotate(BrickContext(max_pixels=10_000), image, 90)["image"].shape == (100, 100, 4)  # same size


def test_resize_keeps_the_size_so_it_needs_no_check() -> None:
    from lego_edit.bricks.builtin.masks import resize

    mask = np.zeros((50, 40), np.uint8)
    mask[20:30, 15:25] = 255
    assert resize(BrickContext(max_pixels=2000), 100, mask=mask)["mask"].shape == (50, 40)


def test_the_executor_checks_every_output_too() -> None:
    """A brick that grows an image without checking (a third-party one) fails at its step, not later."""
    from lego_edit.bricks.registry import Brick, Port, Registry
    from lego_edit.bricks.values import ValueType

    seen: list[int | None] = []

    def double(ctx: BrickContext, image: np.ndarray) -> dict[str, Any]:
        seen.append(ctx.max_pixels)
        return {"image": np.zeros((image.shape[0] * 2, image.shape[1] * 2, 4), np.uint8)}

    brick = Brick("DOUBLE", "doubles the sides, unchecked", (Port("image", ValueType.IMAGE),),
                  (Port("image", ValueType.IMAGE),))
    brick.backend("test")(double)
    workflow = parse_workflow(json.dumps({"pipeline": [
        {"step": 1, "model": "DOUBLE", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]}))
    failed, _, _ = _run(workflow, Executor(Registry([brick]), max_pixels=9_999), _image(50))
    assert seen == [9_999]
    assert getattr(failed, "step", None) == 1
    assert "output 'image' would be 100\u00d7100 = 10000 pixels, above the limit of 9999 (limits.max_pixels)" in str(failed)


def test_the_daemon_config_gives_the_executor_its_limit() -> None:
    from lego_edit.daemon.config import Config

    config = Config()
    config.limits.max_pixels = 1234567
    executor = config.make_executor(default_registry())
    try:
        assert executor.max_pixels == 1234567
    finally:
        executor.close()
