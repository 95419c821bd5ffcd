"""UPSCALE's model backend: Stable Diffusion x4 upscaler (diffusers StableDiffusionUpscalePipeline).

Unlike the classical Lanczos backend this one invents plausible detail: a latent diffusion model
denoises the 4x enlargement conditioned on the low-res image (noise_level 20 keeps it faithful).
Big images go through in overlapping tiles of the input, blended with a feathered weight, so the VAE
decode at 4x stays within memory. Alpha is not something the model sees: it is enlarged by the
classical backend and put back, and fully transparent pixels stay clear.

Only this module's functions import torch and diffusers, when they first run. `MODEL_SPEC` is the
model `lego-edit models pull` knows; its backend is listed with the others in `backends.SPECS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.known import KNOWN
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.runtime import sampling_seed, torch_generator
from lego_edit.bricks.registry import BrickContext, BrickUnavailable, Cancelled

MODEL = "sd-upscaler"
FACTOR = 4  # the pipeline's own enlargement (its VAE decodes latents at the input's size to 4x)

MODEL_SPEC = KNOWN[MODEL]

_DEFAULTS: dict[str, Any] = {
    "steps": 20, "guidance": 9.0, "noise_level": 20, "tile": 256, "overlap": 32,
    "prompt": "a sharp, detailed, high quality photo",
    "negative_prompt": "blurry, low quality, jpeg artifacts, noise",
}
_MULTIPLE = 8  # tile sides are padded to this (the UNet halves the latents twice)


def load_upscaler(manager: ModelManager):
    try:
        import diffusers
    except ImportError as exc:
        raise BrickUnavailable(f"diffusers is not installed ({exc}); {INSTALL_HINT}") from exc
    folder = model_folder(manager.settings, MODEL)
    kwargs: dict[str, Any] = {"dtype": manager.dtype, "local_files_only": True}
    if (folder / "unet" / "diffusion_pytorch_model.fp16.safetensors").is_file():
        kwargs["variant"] = "fp16"
    pipe = diffusers.StableDiffusionUpscalePipeline.from_pretrained(folder, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiles(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of `tile` px covering `length`, neighbours overlapping by at least `overlap`."""
    if length <= tile:
        return [0]
    stride = max(1, tile - overlap)
    starts = list(range(0, length - tile, stride))
    return [*starts, length - tile]


def feather(height: int, width: int, overlap: int) -> np.ndarray:
    """A blending weight for one tile: 1 inside, ramping down over `overlap` px towards each side."""
    def ramp(n: int) -> np.ndarray:
        edge = np.minimum(np.arange(n) + 1, np.arange(n)[::-1] + 1).astype(np.float32)
        return np.clip(edge / max(1, overlap), 1e-3, 1.0)

    return ramp(height)[:, None] * ramp(width)[None, :]


def _pad(rgb: np.ndarray, multiple: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    return cv2.copyMakeBorder(rgb, 0, -h % multiple, 0, -w % multiple, cv2.BORDER_REFLECT_101) if h > 1 and w > 1 \
        else cv2.copyMakeBorder(rgb, 0, -h % multiple, 0, -w % multiple, cv2.BORDER_REPLICATE)


def _progress(ctx: BrickContext, done: int, total: int, steps: int) -> Callable[[int, int, Any], None]:
    """The pipeline's per-step callback: progress over all tiles, and Cancelled as soon as asked."""

    def callback(step: int, timestep: int, latents: Any) -> None:
        if ctx.cancelled():
            raise Cancelled()
        fraction = (done + min(step + 1, steps) / steps) / total
        ctx.progress(0.05 + 0.9 * fraction, f"upscaling: tile {done + 1}/{total}, step {min(step + 1, steps)}/{steps}")

    return callback


def _quiet(fraction: float, message: str = "") -> None:
    return None


def upscale_sd(ctx: BrickContext, image: np.ndarray, scale: float) -> dict:
    """Enlarge by `scale` (1 < scale <= 4): the model's 4x, then area-averaged down to the asked size."""
    import cv2
    from PIL import Image

    from lego_edit.bricks.builtin.restore import upscale, upscale_scale

    s = upscale_scale(scale)
    h, w = image.shape[:2]
    out_w, out_h = round(w * s), round(h * s)
    ctx.check_pixels(out_w, out_h, f"UPSCALE x{s:g}: the {w}x{h} image enlarged")
    ctx.check_pixels(FACTOR * w, FACTOR * h, f"UPSCALE x{s:g}: the model's {FACTOR}x working image")
    manager = manager_for(ctx)
    settings = manager.settings
    option = {k: settings.option(MODEL, k, v) for k, v in _DEFAULTS.items()}
    steps, tile, overlap = int(option["steps"]), int(option["tile"]), int(option["overlap"])
    # Alpha from the classical backend (anti-ringing Lanczos), quietly: the progress is the model's.
    alpha = upscale(dataclasses.replace(ctx, progress=_quiet), image, s)["image"][..., 3]
    rgb = np.ascontiguousarray(image[..., :3])
    ys, xs = tiles(h, tile, overlap), tiles(w, tile, overlap)
    total = len(ys) * len(xs)
    seed = sampling_seed(ctx, settings, MODEL)
    acc = np.zeros((FACTOR * h, FACTOR * w, 3), np.float32)
    weight = np.zeros((FACTOR * h, FACTOR * w, 1), np.float32)
    ctx.progress(0.02, "loading the upscaler")
    with manager.use(model_key(settings, MODEL), load_upscaler) as pipe:
        for n, (y0, x0) in enumerate((y, x) for y in ys for x in xs):
            ctx.raise_if_cancelled()
            piece = rgb[y0:y0 + tile, x0:x0 + tile]
            th, tw = piece.shape[:2]
            result = pipe(prompt=str(option["prompt"]), negative_prompt=str(option["negative_prompt"]),
                          image=Image.fromarray(_pad(piece, _MULTIPLE), "RGB"), num_inference_steps=steps,
                          guidance_scale=float(option["guidance"]), noise_level=int(option["noise_level"]),
                          generator=torch_generator(None if seed is None else seed + n), output_type="np",
                          callback=_progress(ctx, n, total, steps), callback_steps=1)
            big = np.asarray(result.images[0], np.float32)[: FACTOR * th, : FACTOR * tw] * 255.0
            if big.shape[:2] != (FACTOR * th, FACTOR * tw):
                raise BrickUnavailable(f"UPSCALE: the upscaler returned {big.shape[1]}x{big.shape[0]} for a "
                                       f"{tw}x{th} tile, not {FACTOR}x: this checkpoint is not a 4x upscaler")
            wgt = feather(FACTOR * th, FACTOR * tw, FACTOR * overlap)[..., None]
            acc[FACTOR * y0: FACTOR * (y0 + th), FACTOR * x0: FACTOR * (x0 + tw)] += big * wgt
            weight[FACTOR * y0: FACTOR * (y0 + th), FACTOR * x0: FACTOR * (x0 + tw)] += wgt
    enlarged = acc / np.maximum(weight, 1e-6)
    if (out_w, out_h) != (FACTOR * w, FACTOR * h):
        enlarged = cv2.resize(enlarged, (out_w, out_h), interpolation=cv2.INTER_AREA)
    out_rgb = np.clip(np.rint(enlarged), 0, 255).astype(np.uint8)
    out_rgb[alpha == 0] = 0
    ctx.progress(1.0, "upscaled")
    return {"image": np.ascontiguousarray(np.dstack([out_rgb, alpha]))}
