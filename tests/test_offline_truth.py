"""No false success offline: every instruction of tests/data/offline_truth.jsonl runs through
`lego-edit edit` (the rules Builder, the classical bricks, no model weights) on a real photo whose
truth is known, and each outcome is checked against that truth:

- `edit`: a success must change the named object — the changed pixels overlap its truth mask with
  IoU >= 0.5 — and nothing beyond the mask's feather (pixels of an `ignore` mask, a part that is
  neither in nor out, count for neither); a refusal is allowed unless `must_succeed`;
- `global`: a success must change the whole image visibly, at its size; a sharpening must leave the
  image measurably sharper and a denoising measurably smoother (`measure`), as they move few pixels;
- `refuse`: the offline path cannot do it honestly (a specific noun with no segmentation model, an
  object that is not there, snow or autumn that grading cannot render): it must be refused, with a
  reason, and write nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA
from tests.offline_scenes import SCENES

CASES = [json.loads(line) for line in (DATA / "offline_truth.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
CHANGED = 6  # a pixel counts as changed when a channel moved by more than this (of 255)
FEATHER = 0.03  # how far past the truth mask an edit may reach: 3 % of the long side (mask growth, soft edges)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("scenes")
    built = {}
    for name, make in SCENES.items():
        photo, truths = make()
        path = folder / f"{name}.png"
        Image.fromarray(photo).save(path, compress_level=1)
        built[name] = (path, photo, truths)
    config = folder / "config.toml"
    config.write_text('[builder]\nbackend = "rules"\n', encoding="utf-8")
    return built, config


def _edit(image: Path, instruction: str, out: Path, config: Path) -> tuple[int, dict]:
    from lego_edit.daemon.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["edit", str(image), instruction, "-o", str(out), "--json", "--config", str(config)])
    text = stdout.getvalue().strip()
    assert text, stderr.getvalue()
    return status, json.loads(text)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Pixels moved by more than CHANGED in a channel; both RGBA (transparency counts as a change)."""
    return np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=2) > CHANGED


def _detail(rgb: np.ndarray) -> float:
    """Fine detail: the variance of the Laplacian of the grey image."""
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(rgb[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F).var())


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_offline_success_is_right_and_the_rest_are_refusals(case, scenes, tmp_path):
    import cv2
    from PIL import Image

    built, config = scenes
    path, photo, truths = built[case["scene"]]
    out = tmp_path / "out.png"
    status, reply = _edit(path, case["instruction"], out, config)
    if status != 0:
        assert reply["error"]["code"] in ("plan_refused", "step_failed"), reply
        assert reply["error"]["message"].strip()
        assert not out.exists()  # a refusal writes nothing
        assert not case.get("must_succeed"), f"{case['instruction']!r} was refused: {reply['error']['message']}"
        return
    assert case["expect"] != "refuse", f"{case['instruction']!r} should be refused offline, but reported " \
                                       f"success with the plan {reply.get('plan', {}).get('workflow')}"
    result = np.asarray(Image.open(out).convert("RGBA"))
    assert result.shape[:2] == photo.shape[:2], "an edit that is not about the canvas keeps the image's size"
    changed = _changed(np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)]), result)
    if case["expect"] == "global":
        measure = case.get("measure")
        if measure is None:
            assert changed.mean() > 0.2, f"{case['instruction']!r}: only {changed.mean():.1%} of the pixels changed"
            return
        ratio = _detail(result) / _detail(photo)
        assert changed.mean() > 0.02, f"{case['instruction']!r}: only {changed.mean():.1%} of the pixels changed"
        assert ratio >= 1.15 if measure == "sharper" else ratio <= 0.85, \
            f"{case['instruction']!r}: fine detail went x{ratio:.2f}, not {measure}"
        return
    truth = truths[case["truth"]] > 0
    if case.get("ignore"):  # a part that is neither in nor out of the truth (an object beside the subject)
        ignored = truths[case["ignore"]] > 0
        truth, changed = truth & ~ignored, changed & ~ignored
    radius = max(3, round(FEATHER * max(photo.shape[:2])))
    near = cv2.dilate(truth.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)) > 0
    iou = _iou(changed, truth)
    outside = np.logical_and(changed, ~near).sum()
    assert iou >= 0.5, f"{case['instruction']!r}: the change overlaps {case['truth']!r} with IoU {iou:.2f}"
    assert outside <= 0.001 * changed.size, f"{case['instruction']!r}: {outside} pixels changed beyond the " \
                                            f"{case['truth']!r} mask and its feather"


def test_an_object_the_rules_cannot_find_asks_for_a_selection_and_the_selection_works(scenes, tmp_path):
    """Selections first: offline, 'remove the horse' is refused as needing a selection (not guessed), and
    the same edit with the user's selection as the mask removes exactly the horse."""
    from PIL import Image

    from lego_edit.bricks import default_registry
    from lego_edit.bricks.executor import Executor, StepFailed
    from lego_edit.bricks.workflow import Workflow

    built, config = scenes
    path, photo, truths = built["grass_horse"]
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    segment = Workflow.from_dict({"process": "find the horse", "pipeline": [
        {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "horse"},
         "output": {"mask": "step1[mask]", "image": "step1[image]"}}, {"result": "[step1[mask]]"}]})
    executor = Executor(default_registry())
    try:
        with pytest.raises(StepFailed) as failed:
            executor.run(segment, {"image": rgba})
    finally:
        executor.close()
    assert failed.value.needs_selection and "select" in failed.value.cause
    selection = tmp_path / "selection.png"
    Image.fromarray(truths["horse"]).save(selection)
    out = tmp_path / "out.png"
    from lego_edit.daemon.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["edit", str(path), "remove this", "--mask", str(selection), "-o", str(out),
                     "--config", str(config)]) == 0
    changed = _changed(np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)]), np.asarray(Image.open(out).convert("RGBA")))
    assert _iou(changed, truths["horse"] > 0) >= 0.5
