"""Model backends on CPU with tiny random checkpoints (tests/tiny_models.py): real loading
(local_files_only) and real inference, through the catalog, the executor and the model manager."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")
pytest.importorskip("peft")

pytestmark = pytest.mark.models

OPTIONS = {
    "grounding-dino": {"box_threshold": 0.0, "text_threshold": 0.0},  # random weights: accept any box
    "clipseg": {"threshold": 0.0},
    "flux-fill": {"allow_cpu": True, "steps": 2, "edit_steps": 2, "resolution": 64, "diptych_width": 32, "seed": 0},
    "sd-inpaint": {"steps": 2, "resolution": 64, "seed": 0},
    "captioner": {"max_new_tokens": 5, "num_beams": 1},
    "lama": {"max_side": 64},
}


def wider_canvas(photo, fraction: float):
    """An outpainting canvas: `fraction` of the width added on the left, transparent, and its mask (255 there).
    The fill bricks take any canvas; CMI-PRED's own (resized to 1024) would only make these tests slower."""
    import cv2

    left = round(fraction * photo.shape[1])
    rgb = cv2.copyMakeBorder(np.ascontiguousarray(photo[..., :3]), 0, 0, left, 0, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(np.ascontiguousarray(photo[..., 3]), 0, 0, left, 0, cv2.BORDER_CONSTANT, value=0)
    mask = np.full(alpha.shape, 255, np.uint8)
    mask[:, left:] = 0
    return np.dstack([rgb, alpha]), mask


@pytest.fixture(scope="module")
def tiny_paths(tmp_path_factory):
    import torch

    from tests import tiny_models as tiny

    torch.set_num_threads(2)
    return tiny.build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture()
def manager(tiny_paths):
    from lego_edit.bricks.models import configure

    mgr = configure({"device": "cpu", "paths": tiny_paths, "options": OPTIONS, "idle_unload_seconds": 0})
    yield mgr
    configure({})


@pytest.fixture(scope="module")
def photo():
    import cv2
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (96, 64), interpolation=cv2.INTER_AREA)
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


@pytest.fixture(scope="module")
def box_mask(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[16:48, 30:70] = 255
    return mask


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.events: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def progress(self, fraction: float, message: str = "") -> None:
        self.events.append((fraction, message))

    def cancelled(self) -> bool:
        steps = [m for _, m in self.events if "/" in m]
        return self.cancel_after is not None and len(steps) >= self.cancel_after


def ctx_for(manager, recorder: Recorder | None = None):
    from lego_edit.bricks.registry import BrickContext

    recorder = recorder or Recorder()
    return BrickContext(progress=recorder.progress, cancelled=recorder.cancelled, models=manager)


def run_backend(registry, manager, brick: str, backend: str, recorder: Recorder | None = None, **inputs):
    b = registry.get(brick)
    chosen = next(x for x in b.backends if x.name == backend)
    assert chosen.unavailable_reason() is None, chosen.unavailable_reason()
    return chosen.fn(ctx_for(manager, recorder), **inputs)


def outside_unchanged(before: np.ndarray, after: np.ndarray, mask: np.ndarray, margin: int = 12) -> bool:
    import cv2

    near = cv2.dilate(mask, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
    return np.array_equal(before[~near], after[~near])


def test_catalog_switches_to_model_backends_when_weights_are_present(registry, manager):
    from lego_edit.bricks.models import configure

    expected = {"RES": "grounded-sam", "SOS": "grounded-sam", "MASK-SEG": "sam", "CMI-PRED": "blip",
                "FASTINPAINT": "lama", "FLUX-INPAINT": "flux-fill", "FLUX-FILL": "flux-fill", "FLUX-CBG": "flux-fill",
                "FLUX-RCM": "flux-fill+lego-rcm", "FLUX-STYLE": "flux-fill+lego-style",
                "FLUX-ENV": "flux-fill+lego-env", "FLUX-POSE": "flux-fill+lego-pose"}
    for brick, backend in expected.items():
        assert registry.get(brick).active_backend().name == backend, brick
    configure({"device": "cpu"})  # no paths: the weights are "gone" again
    for brick in expected:
        active = registry.get(brick).active_backend()
        assert active is None or active.kind == "classical", brick


def test_reference_removal_workflow_runs_on_models(registry, manager, photo):
    """RES (Grounding DINO + SAM) -> FASTINPAINT (LaMa) -> FLUX-INPAINT (FLUX Fill) through the executor."""
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.workflow import parse_workflow

    workflow = parse_workflow("""{"process": "remove the person", "pipeline": [
      {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "person"},
       "output": {"mask": "step1[mask]", "image": "step1[image]"}},
      {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
       "output": {"image": "step2[image]", "score": "step2[score]"}},
      {"step": 3, "model": "FLUX-INPAINT", "input": {"image": "init[image]", "mask": "step1[mask]",
       "preimage": "step2[image]", "score": "step2[score]"}, "output": {"image": "step3[image]"}},
      {"result": "[step1[image], step3[image]]"}]}""")
    events = []
    executor = Executor(registry, models=manager)
    try:
        result = executor.run(workflow, {"image": photo, "mask": None}, on_event=events.append)
    finally:
        executor.close()
    started = {e.step: e.message for e in events if e.kind == "step_started"}
    assert started == {1: "grounded-sam", 2: "lama", 3: "flux-fill"}
    mask = result.outputs["step1[mask]"]
    assert mask.shape == photo.shape[:2] and mask.any()
    assert 0.0 <= result.outputs["step2[score]"] <= 1.0
    final = result.outputs["step3[image]"]
    assert final.shape == photo.shape and np.array_equal(final[..., 3], photo[..., 3])
    progress = [e for e in events if e.kind == "progress" and e.step == 3]
    assert [e.message for e in progress if "/" in e.message] == ["denoising 1/2", "denoising 2/2"]
    assert [e.fraction for e in progress] == sorted(e.fraction for e in progress)


def test_res_clipseg(registry, manager, photo):
    out = run_backend(registry, manager, "RES", "clipseg", image=photo, prompt="person")
    assert out["mask"].shape == photo.shape[:2] and out["mask"].any()
    assert np.array_equal(out["image"][..., :3], photo[..., :3])
    assert (out["image"][..., 3] <= out["mask"]).all()


def test_sos_and_mask_seg(registry, manager, photo, box_mask):
    sos = run_backend(registry, manager, "SOS", "grounded-sam", image=photo)
    assert sos["mask"].shape == photo.shape[:2] and sos["mask"].any()
    seg = run_backend(registry, manager, "MASK-SEG", "sam", image=photo, mask=box_mask)
    import cv2

    allowed = cv2.dilate(box_mask, np.ones((9, 9), np.uint8))
    assert seg["mask"].any() and not (seg["mask"][allowed == 0] > 127).any()  # never outside the rough mask


def test_cmi_pred_caption_and_canvas_match_the_offline_rule(registry, manager, photo):
    from lego_edit.bricks.builtin.canvas import caption_and_expand as offline
    from lego_edit.bricks.registry import BrickContext

    ratios = {"left_ratio": 1.5, "right_ratio": 1.0, "top_ratio": 1.25, "bottom_ratio": 1.0}
    out = run_backend(registry, manager, "CMI-PRED", "blip", image=photo, **ratios)
    assert isinstance(out["caption"], str) and out["caption"]
    ref = offline(BrickContext(), image=photo, **ratios)
    assert np.array_equal(out["image"], ref["image"]) and np.array_equal(out["mask"], ref["mask"])
    plain = run_backend(registry, manager, "CMI-PRED", "blip", image=photo)
    assert plain["image"] is None and plain["mask"] is None


def test_fastinpaint_lama_keeps_far_pixels(registry, manager, photo, box_mask):
    out = run_backend(registry, manager, "FASTINPAINT", "lama", image=photo, mask=box_mask)
    assert out["image"].shape == photo.shape and 0.0 <= out["score"] <= 1.0
    assert outside_unchanged(photo, out["image"], box_mask, margin=8)
    assert not np.array_equal(out["image"][box_mask > 0], photo[box_mask > 0])


def test_flux_fill_modes(registry, manager, photo, box_mask):
    from lego_edit.bricks.imageops import cutout

    plain = run_backend(registry, manager, "FLUX-FILL", "flux-fill", image=photo, mask=box_mask, prompt="a red car")
    assert outside_unchanged(photo, plain["image"], box_mask)
    assert not np.array_equal(plain["image"], photo)
    # a cut-out as preimage: the reference's "place this object" diptych
    obj = np.zeros_like(box_mask)
    obj[5:25, 5:25] = 255
    placed = run_backend(registry, manager, "FLUX-FILL", "flux-fill", image=photo, mask=box_mask, prompt="a dog",
                         preimage=cutout(photo, obj))
    assert outside_unchanged(photo, placed["image"], box_mask)
    # outpainting on a CMI-PRED canvas: generated pixels become opaque
    canvas, new = wider_canvas(photo, 0.25)
    wide = run_backend(registry, manager, "FLUX-FILL", "flux-fill", image=canvas, mask=new, prompt="the sea")
    assert (wide["image"][..., 3][new > 0] == 255).all()


def test_flux_cbg_and_sd_inpaint(registry, manager, photo, box_mask):
    background = 255 - box_mask
    cbg = run_backend(registry, manager, "FLUX-CBG", "flux-fill", image=photo, mask=background, prompt="a beach")
    assert outside_unchanged(photo, cbg["image"], background)
    sd = run_backend(registry, manager, "FLUX-FILL", "sd-inpaint", image=photo, mask=box_mask, prompt="a red car")
    assert outside_unchanged(photo, sd["image"], box_mask) and not np.array_equal(sd["image"], photo)
    pre = run_backend(registry, manager, "FASTINPAINT", "lama", image=photo, mask=box_mask)
    refined = run_backend(registry, manager, "FLUX-INPAINT", "sd-inpaint", image=photo, mask=box_mask,
                          preimage=pre["image"], score=pre["score"])
    assert outside_unchanged(photo, refined["image"], box_mask, margin=20)


def test_in_context_edits_use_their_task_loras(registry, manager, photo, box_mask):
    outs = {}
    for brick, backend, inputs in (
            ("FLUX-ENV", "flux-fill+lego-env", {"prompt": "at night"}),
            ("FLUX-POSE", "flux-fill+lego-pose", {"prompt": "at night"}),
            ("FLUX-STYLE", "flux-fill+lego-style", {"prompt": "a person", "style": "watercolor", "mask": None}),
            ("FLUX-RCM", "flux-fill+lego-rcm", {"prompt": "red", "mask": box_mask})):
        outs[brick] = run_backend(registry, manager, brick, backend, image=photo, **inputs)["image"]
        assert outs[brick].shape == photo.shape and np.array_equal(outs[brick][..., 3], photo[..., 3])
    # same prompt, same seed, different LoRA: different pictures
    assert not np.array_equal(outs["FLUX-ENV"], outs["FLUX-POSE"])
    assert outside_unchanged(photo, outs["FLUX-RCM"], box_mask, margin=24)
    with manager.use(next(e.key for e in manager.loaded() if e.key.startswith("flux-fill")), None) as pipe:
        assert {"env", "pose", "style", "rcm"} <= pipe._lego_loras


def test_cancellation_stops_mid_denoise(registry, manager, photo, box_mask):
    from lego_edit.bricks.registry import Cancelled

    recorder = Recorder(cancel_after=1)
    with pytest.raises(Cancelled):
        run_backend(registry, manager, "FLUX-FILL", "flux-fill", recorder, image=photo, mask=box_mask, prompt="a car")
    assert [m for _, m in recorder.events if "/" in m] == ["denoising 1/2"]


def test_executor_cancel_during_a_model_step(registry, manager, photo, box_mask):
    from lego_edit.bricks.executor import Executor, RunCancelled
    from lego_edit.bricks.workflow import parse_workflow

    workflow = parse_workflow("""{"process": "x", "pipeline": [
      {"step": 1, "model": "FLUX-FILL", "input": {"image": "init[image]", "mask": "init[mask]", "prompt": "a car"},
       "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}""")
    cancel = threading.Event()

    def on_event(event):
        if event.kind == "progress" and "1/" in event.message:
            cancel.set()

    executor = Executor(registry, models=manager)
    try:
        with pytest.raises(RunCancelled):
            executor.run(workflow, {"image": photo, "mask": box_mask}, on_event=on_event, cancel=cancel)
    finally:
        executor.close()


def test_quantization_needs_its_library_and_a_gpu(registry, tiny_paths, photo, box_mask):
    from lego_edit.bricks.models import configure
    from lego_edit.bricks.registry import BrickUnavailable

    mgr = configure({"device": "cpu", "paths": tiny_paths, "options": OPTIONS, "quantization": "bnb-4bit"})
    try:
        with pytest.raises(BrickUnavailable, match="bitsandbytes"):
            run_backend(registry, mgr, "FLUX-FILL", "flux-fill", image=photo, mask=box_mask, prompt="a car")
    finally:
        configure({})


def test_add_pred_asks_the_vlm(registry, manager, photo, box_mask):
    """Real Qwen2.5-VL loading and greedy generation (tokenizer + PIL image processor); random weights
    answer gibberish, so the brick must say so with the answer — never invent a box."""
    from lego_edit.bricks.registry import BrickError

    assert registry.get("ADD-PRED").active_backend().name == "qwen-vl"
    with pytest.raises(BrickError, match="no usable box") as info:
        run_backend(registry, manager, "ADD-PRED", "qwen-vl", image=photo, prompt="a hat", mask=box_mask)
    assert "answer:" in str(info.value)
    assert any(m.key.startswith("vlm") for m in manager.loaded())  # held by the manager for the next call


def test_reference_semantics_of_fill_style_and_recolour(registry, manager, photo, box_mask):
    """FLUX-FILL takes the pre-expansion image as preimage (resized to the canvas); FLUX-STYLE with no style
    is anime style and puts the caption before the instruction; FLUX-RCM without a mask redraws the whole
    image; FLUX.1 Fill samples 20 steps at guidance 30 (the reference's FILL / INPAINT settings)."""
    import cv2

    from lego_edit.bricks.models.diffusion import FLUX, _engine
    from lego_edit.bricks.models.edits import diptych_prompt
    from lego_edit.bricks.models.engines.templates import style_name
    from lego_edit.bricks.models.settings import ModelSettings

    canvas, new = wider_canvas(photo, 0.25)
    assert canvas.shape != photo.shape
    wide = run_backend(registry, manager, "FLUX-FILL", "flux-fill", image=canvas, mask=new, prompt="the sea",
                       preimage=photo)
    assert wide["image"].shape == canvas.shape and (wide["image"][..., 3][new > 0] == 255).all()
    far = cv2.dilate(new, np.ones((25, 25), np.uint8)) == 0
    assert np.array_equal(wide["image"][far], canvas[far])

    assert style_name(None) == style_name("") == "anime style"
    assert style_name("ink") == "Chinese ink style" and style_name("watercolor style") == "watercolor style"
    assert diptych_prompt("Convert the image into anime style.", "a man in a space suit") == (
        "A diptych with two side-by-side images of the same scene. a man in a space suit. On the right, the scene "
        "is exactly the same as on the left but Convert the image into anime style.")
    styled = run_backend(registry, manager, "FLUX-STYLE", "flux-fill+lego-style", image=photo, prompt="a person",
                         style=None, mask=None)["image"]
    assert styled.shape == photo.shape and not np.array_equal(styled, photo)
    whole = run_backend(registry, manager, "FLUX-RCM", "flux-fill+lego-rcm", image=photo, prompt="red", mask=None)
    assert whole["image"].shape == photo.shape and np.array_equal(whole["image"][..., 3], photo[..., 3])
    assert not np.array_equal(whole["image"][:8, :8, :3], photo[:8, :8, :3])  # the corners are redrawn too
    eng = _engine(manager, FLUX, None)
    default = _engine(type(manager)(ModelSettings()), FLUX, None)
    assert (default.steps, default.guidance) == (20, 30.0) and eng.steps == 2  # overridable in config


def test_fill_steps_are_overridable_per_brick(registry, tiny_paths, photo, box_mask):
    from lego_edit.bricks.models import configure

    options = {**OPTIONS, "flux-fill": {**OPTIONS["flux-fill"], "fill_steps": 3}}
    mgr = configure({"device": "cpu", "paths": tiny_paths, "options": options, "idle_unload_seconds": 0})
    try:
        recorder = Recorder()
        run_backend(registry, mgr, "FLUX-FILL", "flux-fill", recorder, image=photo, mask=box_mask, prompt="a car")
        assert [m for _, m in recorder.events if "/" in m] == ["denoising 1/3", "denoising 2/3", "denoising 3/3"]
    finally:
        configure({})
