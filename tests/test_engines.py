"""The model bricks on every editing engine, on the CPU, with tiny random checkpoints built from configs
(tests/tiny_models.py): real diffusers pipelines (FLUX.2 klein, Qwen-Image-Edit(-Plus), FLUX.1 Kontext,
FLUX.1 Fill, SD inpainting) loaded local_files_only through the model manager and the registry."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models

ENGINES = ("flux2-klein-4b", "flux2-klein-9b", "qwen-image-edit", "qwen-image-edit-plus", "flux1-kontext",
           "flux1-fill", "sd-inpaint")  # every brick on each, at 64 px (Qwen's condition too: its resolution)
ENGINE_MODEL = {"flux2-klein-4b": "flux2-klein-4b", "flux1-kontext": "flux-kontext", "flux1-fill": "flux-fill",
                "sd-inpaint": "sd-inpaint", "qwen-image-edit": "qwen-image-edit",
                "qwen-image-edit-plus": "qwen-image-edit-plus", "flux2-klein-9b": "flux2-klein-9b"}
TINY = {"allow_cpu": True, "steps": 1, "resolution": 64, "seed": 0}  # one step per call in the matrix


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    import torch

    from tests import tiny_models as tiny

    torch.set_num_threads(2)
    root = tmp_path_factory.mktemp("tiny-engines")
    out = tiny.build_engines(root, ("flux2-klein-4b", "flux2-klein-9b", "qwen-image-edit", "qwen-image-edit-plus",
                                    "flux-kontext"))
    out.update(tiny.build_all(root, ("flux-fill",)))
    out["sd-inpaint"] = str(tiny.sd_inpaint(root / "sd-inpaint", vae_blocks=3))  # 16² latents at 64 px
    return out


def configure(paths, engine: str, **extra):
    from lego_edit.bricks.models import configure as configure_models

    settings = {"device": "cpu", "paths": paths, "options": {m: dict(TINY) for m in paths},
                "idle_unload_seconds": 0, "engine": engine}
    return configure_models({**settings, **extra})


@pytest.fixture()
def registry_for(paths):
    from lego_edit.bricks.builtin import builtin_bricks
    from lego_edit.bricks.models import configure as configure_models
    from lego_edit.bricks.registry import Registry

    def make(engine: str, **extra):
        manager = configure(paths, engine, **extra)
        return Registry(builtin_bricks()), manager

    yield make
    configure_models({})


@pytest.fixture(scope="module")
def photo():
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (80, 64), interpolation=cv2.INTER_AREA)
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:, :8] = 128  # a half-transparent strip: the alpha channel must come back as it was
    return np.dstack([rgb, alpha])


@pytest.fixture(scope="module")
def box():
    mask = np.zeros((64, 80), np.uint8)
    mask[16:44, 28:60] = 255
    return mask


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.events: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def progress(self, fraction: float, message: str = "") -> None:
        self.events.append((fraction, message))

    def steps(self) -> list[str]:
        return [m for _, m in self.events if m.startswith("denoising")]

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.steps()) >= self.cancel_after


def run(registry, manager, brick: str, recorder: Recorder | None = None, seed: int | None = None, **inputs):
    from lego_edit.bricks.registry import BrickContext

    recorder = recorder or Recorder()
    chosen = registry.get(brick).active_backend()
    assert chosen is not None and chosen.name == "engine", (brick, chosen and chosen.name)
    ctx = BrickContext(progress=recorder.progress, cancelled=recorder.cancelled, models=manager, seed=seed)
    return chosen.fn(ctx, **inputs)["image"], recorder


def beyond_feather(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels farther than `reach` from the mask: the composite must leave their bytes alone."""
    return cv2.dilate(mask, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) == 0


def cases(photo, box):
    pre = photo.copy()
    pre[box > 0, :3] = 128  # a flat grey "LaMa" fill
    return (
        ("FLUX-RCM", {"prompt": "red", "mask": box}, box, 17 * 80 // 768 + 1),
        ("FLUX-STYLE", {"prompt": "a person", "style": "watercolor", "mask": None}, None, 0),
        ("FLUX-ENV", {"prompt": "at night"}, None, 0),
        ("FLUX-POSE", {"prompt": "arms raised"}, None, 0),
        ("FLUX-FILL", {"prompt": "a red car", "mask": box}, box, 0),
        ("FLUX-INPAINT", {"mask": box, "preimage": pre, "score": 0.5}, box, 2),
        ("FLUX-CBG", {"prompt": "a beach", "mask": 255 - box}, 255 - box, 0),
        ("EDIT", {"prompt": "make the cat wear a red scarf", "mask": box}, box, 0),
    )


def check_output(photo, out, mask, grow: int) -> None:
    assert out.shape == photo.shape and out.dtype == np.uint8
    if mask is None:  # a global edit: the size and the alpha channel are the input's
        assert np.array_equal(out[..., 3], photo[..., 3])
        assert not np.array_equal(out[..., :3], photo[..., :3])
        return
    far = beyond_feather(mask, grow + 3 * 1 + 1)  # feather sigma 1 px at this size
    assert far.any() and np.array_equal(out[far], photo[far])
    assert not np.array_equal(out[mask > 0, :3], photo[mask > 0, :3])


@pytest.mark.parametrize("engine", ENGINES)
def test_every_brick_on_the_engine(registry_for, photo, box, engine):
    registry, manager = registry_for(engine)
    for brick, inputs, mask, grow in cases(photo, box):
        out, recorder = run(registry, manager, brick, image=photo, **inputs)
        check_output(photo, out, mask, grow)
        assert recorder.steps() == ["denoising 1/1"], (brick, recorder.steps())
        assert [f for f, _ in recorder.events] == sorted(f for f, _ in recorder.events)


@pytest.mark.parametrize(("engine", "masked"), [(e, e in ("flux2-klein-4b", "qwen-image-edit", "flux1-kontext",
                                                            "flux1-fill")) for e in ENGINES])
def test_progress_per_step_and_cancel_mid_denoise(paths, registry_for, photo, box, engine, masked):
    """Every engine, masked (its inpainting pipeline) or not: one report per step, and a cancel after the
    first of three steps stops there, before the decode."""
    from lego_edit.bricks.registry import Cancelled

    options = {m: {**TINY, "steps": 3} for m in paths}
    registry, manager = registry_for(engine, options=options)
    inputs = {"image": photo, "prompt": "make it red", "mask": box if masked else None}
    recorder = Recorder()
    run(registry, manager, "EDIT", recorder, **inputs)
    assert recorder.steps() == ["denoising 1/3", "denoising 2/3", "denoising 3/3"]
    recorder = Recorder(cancel_after=1)
    with pytest.raises(Cancelled):
        run(registry, manager, "EDIT", recorder, **inputs)
    assert recorder.steps() == ["denoising 1/3"]


def test_qwen_condition_image_at_the_engine_resolution(paths, photo, box):
    """diffusers' Qwen-Image-Edit pipelines would VAE-encode the condition at about 1024²; the engine encodes
    it at `resolution`² for a whole-image edit and at the working size for a masked one."""
    from diffusers.modular_pipelines.qwenimage.encoders import calculate_dimensions

    from lego_edit.bricks.models.engines.catalog import ENGINES as SPECS
    from lego_edit.bricks.models.engines.runtime import open_engine

    seen: list[tuple[int, int]] = []

    def record(_module, args) -> None:
        seen.append(tuple(args[0].shape[-2:]))

    for resolution in (128,):
        options = {m: {**TINY, "resolution": resolution} for m in paths}
        manager = configure(paths, "qwen-image-edit", options=options)
        with open_engine(manager, SPECS["qwen-image-edit"]) as eng:
            seen.clear()
            hook = eng.pipe.vae.encoder.register_forward_pre_hook(record)
            try:
                w, h = eng.size_for(80, 64)
                rgb = cv2.resize(photo[..., :3], (w, h), interpolation=cv2.INTER_AREA)
                eng.edit(rgb, "make it red")
                cw, ch, _ = calculate_dimensions(resolution * resolution, w / h)
                assert seen == [(ch, cw)] and ch * cw <= 1.1 * resolution * resolution
                seen.clear()
                eng.edit(rgb, "make it red", cv2.resize(box, (w, h), interpolation=cv2.INTER_NEAREST))
                assert seen and all(s == (h, w) for s in seen)  # the image and the masked image
            finally:
                hook.remove()


def test_qwen_at_the_default_resolution_is_diffusers_own_pipeline(paths, photo):
    """At `resolution` 1024 (the default) the modular path gives the bytes QwenImageEditPlusPipeline gives."""
    import torch

    from lego_edit.bricks.models.engines.catalog import ENGINES as SPECS
    from lego_edit.bricks.models.engines.runtime import open_engine

    options = {m: {**TINY, "resolution": 1024, "steps": 2} for m in paths}
    manager = configure(paths, "qwen-image-edit-plus", options=options)
    rgb = np.ascontiguousarray(photo[:, :64, :3])  # 64 x 64: at 1024 the working size is the image's own
    with open_engine(manager, SPECS["qwen-image-edit-plus"]) as eng:
        ours = eng.edit(rgb, "make it red", seed=3)
        from PIL import Image

        theirs = eng.pipe(image=Image.fromarray(rgb), prompt="make it red", negative_prompt=" ", true_cfg_scale=4.0,
                          height=64, width=64, num_inference_steps=2, generator=torch.Generator().manual_seed(3),
                          output_type="np").images[0]
    assert np.array_equal(ours, np.clip(np.rint(theirs * 255.0), 0, 255).astype(np.uint8))


def test_seed_of_the_step_gives_its_own_pixels(registry_for, photo, box, engine="flux2-klein-4b"):
    registry, manager = registry_for(engine)
    inputs = {"image": photo, "prompt": "make it red", "mask": box}
    configured, _ = run(registry, manager, "EDIT", **inputs)  # no step seed: the configured seed, 0
    zero, _ = run(registry, manager, "EDIT", seed=0, **inputs)
    one, _ = run(registry, manager, "EDIT", seed=1, **inputs)
    assert np.array_equal(configured, zero)  # the same seed, the same bytes
    assert not np.array_equal(one[box > 0], zero[box > 0])  # another seed, other pixels in the edit
    far = beyond_feather(box, 4)
    assert np.array_equal(one[far], zero[far])  # and the same bytes beyond it


@pytest.mark.parametrize("engine", ["flux2-klein-4b", "qwen-image-edit"])
def test_inpaint_score_denoises_as_the_reference_sampler(paths, registry_for, photo, box, engine):
    """The reference samples its 20 steps over the last `denoise` of the schedule (ComfyUI's KSampler);
    FASTINPAINT's score 1 (a plausible fill) is denoise 0.7, score 0 is 1.0 (from noise)."""
    from lego_edit.bricks.models.edits import score_to_strength
    from lego_edit.bricks.models.engines.runtime import denoise_schedule

    pre = photo.copy()
    pre[box > 0, :3] = 128
    options = {m: {**TINY, "steps": 4} for m in paths}
    registry, manager = registry_for(engine, options=options)
    for score, schedule in ((1.0, 5), (0.0, 4)):
        denoise = score_to_strength(score)
        assert denoise_schedule(4, denoise)[0] == schedule == int(4 / denoise)
        recorder = Recorder()
        out, _ = run(registry, manager, "FLUX-INPAINT", recorder, image=photo, mask=box, preimage=pre, score=score)
        assert recorder.steps() == [f"denoising {i}/4" for i in range(1, 5)]  # every step, whatever the score
        scheduler = manager.loaded()[0].model.scheduler
        assert len(scheduler.timesteps) == schedule  # a schedule of int(4 / denoise) steps, its last 4 run
        assert scheduler.begin_index == schedule - 4
        check_output(photo, out, box, 2)


def test_switching_engines_evicts_within_the_budget(paths):
    from lego_edit.bricks.models.engines.catalog import ENGINES as SPECS
    from lego_edit.bricks.models.engines.runtime import open_engine
    from lego_edit.bricks.models.manager import module_bytes

    def use(manager, name):
        with open_engine(manager, SPECS[name]) as eng:
            assert eng.spec.name == name
        return manager

    # a budget just above the largest engine (the most weights on disk), and every switch made to and from
    # it: each one must evict, and each engine fits alone
    def on_disk(name: str) -> int:
        return sum(f.stat().st_size for f in Path(paths[ENGINE_MODEL[name]]).rglob("*.safetensors"))

    largest = max(ENGINES, key=on_disk)
    budget = use(configure(paths, largest), largest).used_bytes() + 1
    manager = configure(paths, largest, vram_budget=budget)
    for name in (largest, *(x for n in ENGINES if n != largest for x in (n, largest))):
        loaded = use(manager, name).loaded()
        assert [re.split("[/@]", e.key)[0] for e in loaded] == [ENGINE_MODEL[name]]
        assert 0 < manager.used_bytes() == module_bytes(loaded[0].model) <= budget


def test_permissive_licence_and_unknown_engine(paths):
    from lego_edit.bricks.models import SettingsError
    from lego_edit.bricks.models.engines.choose import choose

    manager = configure(paths, "flux1-kontext", licence="permissive")
    choice = choose(manager.settings, gpu=None)
    assert choice.engine is None and "non-commercial" in choice.reason
    manager = configure(paths, "auto", licence="permissive")
    assert choose(manager.settings, gpu=None, instruct_only=True).engine.name in ("flux2-klein-4b", "qwen-image-edit",
                                                                                "qwen-image-edit-plus")
    with pytest.raises(SettingsError, match="models.engine"):
        configure(paths, "flux3")
