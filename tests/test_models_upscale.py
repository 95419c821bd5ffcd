"""UPSCALE's model backend (Stable Diffusion x4 upscaler) on CPU with a tiny random checkpoint built from configs
and saved as the hub repository lays it out: real loading (local_files_only), real tiled inference, the
asked size, alpha from the classical backend, seeds, progress, cancel, and the step through the Executor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models

OPTIONS = {"steps": 2, "tile": 16, "overlap": 4, "seed": 0, "guidance": 1.0}  # 1: no classifier-free pass


def tiny_upscaler(folder: Path) -> Path:
    """A 2-level UNet (32/64 wide, 7 input channels: latents and the low-res image, noise level as a class
    embedding), a 3-block VAE (4x), and a 1-layer CLIP text encoder."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from tests.tiny_models import clip_tokenizer

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=1, sample_size=16, in_channels=7,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
                                norm_num_groups=8, attention_head_dim=(2, 4), num_class_embeds=1000)
    vae = AutoencoderKL(block_out_channels=[8, 16, 16], in_channels=3, out_channels=3, norm_num_groups=8,
                        down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                        latent_channels=4, scaling_factor=0.08333)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=1, vocab_size=len(tokenizer)))
    pipe = StableDiffusionUpscalePipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                          low_res_scheduler=DDPMScheduler(beta_schedule="scaled_linear"),
                                          scheduler=DDIMScheduler(steps_offset=1, prediction_type="v_prediction"),
                                          max_noise_level=350)
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    import torch

    torch.set_num_threads(2)
    return tiny_upscaler(tmp_path_factory.mktemp("tiny-upscaler") / "sd-upscaler")


@pytest.fixture()
def manager(checkpoint):
    from lego_edit.bricks.models import configure
    from lego_edit.bricks.models.upscale import MODEL

    mgr = configure({"device": "cpu", "paths": {MODEL: str(checkpoint)}, "options": {MODEL: OPTIONS},
                     "idle_unload_seconds": 0})
    yield mgr
    configure({})


@pytest.fixture(scope="module")
def photo():
    import cv2
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (24, 12), interpolation=cv2.INTER_AREA)
    alpha = np.tile(np.linspace(0, 255, 24).astype(np.uint8), (12, 1))  # a ramp from fully transparent
    return np.dstack([rgb, alpha])


def _backend():
    from lego_edit.bricks.models.backends import SPECS, backend

    return backend(next(s for s in SPECS if s.brick == "UPSCALE"))


def test_available_only_with_the_weights_and_says_how_to_pull_them(manager, tmp_path):
    from lego_edit.bricks.models import configure
    from lego_edit.bricks.models.upscale import MODEL

    b = _backend()
    assert b.kind == "model" and b.stochastic and b.check() is None
    configure({"device": "cpu", "paths": {MODEL: str(tmp_path / "nothing-here")}})
    reason = b.check()
    assert reason and "sd-upscaler" in reason and b.fix == "lego-edit models pull sd-upscaler"


@pytest.mark.parametrize("scale", [4, 2])
def test_tiled_model_upscale_gives_the_asked_size_with_the_classical_alpha(manager, photo, scale):
    from lego_edit.bricks.builtin.restore import upscale
    from lego_edit.bricks.registry import BrickContext

    ctx = BrickContext(models=manager)
    out = _backend().fn(ctx, image=photo, scale=scale)["image"]
    assert out.shape == (12 * scale, 24 * scale, 4) and out.dtype == np.uint8
    assert np.array_equal(out[..., 3], upscale(BrickContext(), photo, scale)["image"][..., 3])
    clear = out[..., 3] == 0
    assert clear.any() and not out[clear][:, :3].any()
    assert out[~clear][:, :3].std() > 1  # the decoder drew something, not a flat fill


def test_same_seed_same_result_progress_and_cancel(manager, photo):
    from lego_edit.bricks.registry import BrickContext, Cancelled

    events: list[tuple[float, str]] = []
    fn = _backend().fn
    first = fn(BrickContext(models=manager, progress=lambda f, m="": events.append((f, m))), image=photo, scale=4)
    again = fn(BrickContext(models=manager), image=photo, scale=4)["image"]
    assert np.array_equal(first["image"], again)
    other = fn(BrickContext(models=manager, seed=7), image=photo, scale=4)["image"]
    assert not np.array_equal(other[..., :3], again[..., :3])
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("tile 2/2, step 2/2" in m for _, m in events)  # 24 x 12 in 16 px tiles: 2 tiles, 2 steps each
    calls = {"n": 0}

    def cancel_on_the_third_look() -> bool:
        calls["n"] += 1
        return calls["n"] >= 3

    with pytest.raises(Cancelled):
        fn(BrickContext(models=manager, cancelled=cancel_on_the_third_look), image=photo, scale=4)


def test_the_pixel_limit_counts_the_models_4x_working_image(manager, photo):
    from lego_edit.bricks.registry import BrickContext, BrickError

    with pytest.raises(BrickError, match="4x working image"):
        _backend().fn(BrickContext(models=manager, max_pixels=48 * 24 + 1), image=photo, scale=2)


def test_a_one_step_workflow_runs_on_the_model_backend(manager, photo):
    from lego_edit.bricks.builtin import classical_backends
    from lego_edit.bricks.builtin.catalog import BY_NAME
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.registry import Brick, Registry
    from lego_edit.bricks.workflow import Workflow

    brick = Brick.from_spec(BY_NAME["UPSCALE"], [_backend(), *classical_backends("UPSCALE")])
    assert brick.active_backend().name == "sd-x4-upscaler"
    workflow = Workflow.from_dict({"process": "upscale this", "pipeline": [
        {"step": 1, "model": "UPSCALE", "input": {"image": "init[image]", "scale": 2}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]})
    executor = Executor(Registry([brick]), models=manager)
    try:
        (_, image), = executor.run(workflow, {"image": photo}).result
        assert image.shape == (24, 48, 4)
    finally:
        executor.close()
