"""Diffusion engines for the generative bricks: FLUX.1 Fill (diffusers FluxFillPipeline, with the
Lego-Edit task LoRAs) and Stable Diffusion inpainting (SD 1.5 or SDXL) for small cards.

An engine is a loaded pipeline plus what its call needs (size multiple, default steps and guidance).
Every call reports progress per denoising step and stops at the next step when the job is cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.known import LORA_FILES
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.locate import local_file, source
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.runtime import diffusers_quantization, sampling_seed, step_callback, torch_generator
from lego_edit.bricks.registry import BrickContext, BrickUnavailable

FLUX = "flux-fill"
SD = "sd-inpaint"
LORAS = "lego-loras"


def _diffusers():
    try:
        import diffusers
    except ImportError as exc:
        raise BrickUnavailable(f"diffusers is not installed ({exc}); {INSTALL_HINT}") from exc
    return diffusers


def load_flux(manager: ModelManager):
    diffusers = _diffusers()
    folder = model_folder(manager.settings, FLUX)
    kwargs: dict[str, Any] = {"dtype": manager.dtype, "local_files_only": True}
    quant = diffusers_quantization(manager.settings, manager.device, ["transformer", "text_encoder_2"])
    if quant is not None:
        kwargs["quantization_config"] = quant
    pipe = diffusers.FluxFillPipeline.from_pretrained(folder, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    pipe._lego_loras = set()
    return pipe


def load_sd(manager: ModelManager):
    diffusers = _diffusers()
    folder = model_folder(manager.settings, SD)
    kwargs: dict[str, Any] = {"dtype": manager.dtype, "local_files_only": True}
    if (folder / "unet" / "diffusion_pytorch_model.fp16.safetensors").is_file():
        kwargs["variant"] = "fp16"
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    if "safety_checker" in index:  # SD 1.x: the checker is not downloaded (a local editor, the user's own images)
        kwargs.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe = diffusers.AutoPipelineForInpainting.from_pretrained(folder, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@dataclass
class Engine:
    name: str
    pipe: Any
    resolution: int  # long side of the working image
    steps: int
    guidance: float
    removal_prompt: str  # what to ask for when only removing (FLUX-INPAINT)

    @property
    def multiple(self) -> int:
        return int(getattr(self.pipe, "vae_scale_factor", 8)) * (2 if self.name == FLUX else 1)


def _engine(manager: ModelManager, name: str, pipe: Any) -> Engine:
    settings = manager.settings
    if name == FLUX:
        return Engine(FLUX, pipe, int(settings.option(FLUX, "resolution", 1024)), int(settings.option(FLUX, "steps", 20)),
                      float(settings.option(FLUX, "guidance", 30.0)), str(settings.option(FLUX, "removal_prompt", "")))
    xl = "XL" in type(pipe).__name__
    return Engine(SD, pipe, int(settings.option(SD, "resolution", 1024 if xl else 512)), int(settings.option(SD, "steps", 30)),
                  float(settings.option(SD, "guidance", 7.5)),
                  str(settings.option(SD, "removal_prompt", "empty background, seamless continuation of the surroundings")))


class engine:  # noqa: N801 - used as a context manager: `with engine(ctx, FLUX) as e:`
    """The loaded engine, pinned in the manager while the block runs."""

    def __init__(self, ctx: BrickContext, name: str) -> None:
        self.manager = manager_for(ctx)
        self.name = name
        self._use = self.manager.use(model_key(self.manager.settings, name), load_flux if name == FLUX else load_sd)

    def __enter__(self) -> Engine:
        return _engine(self.manager, self.name, self._use.__enter__())

    def __exit__(self, *exc: Any) -> None:
        self._use.__exit__(*exc)


def lora_available(settings, task: str) -> bool:
    return local_file(source(LORAS, settings), LORA_FILES[task], settings) is not None


def set_lora(ctx: BrickContext, eng: Engine, task: str | None) -> None:
    """Activate the Lego-Edit LoRA of `task` on the FLUX pipeline (loaded once, kept as an adapter)."""
    pipe = eng.pipe
    loaded: set[str] = pipe.__dict__.setdefault("_lego_loras", set())
    if task is None:
        if loaded:
            pipe.disable_lora()
        return
    if task not in loaded:
        settings = manager_for(ctx).settings
        path = local_file(source(LORAS, settings), LORA_FILES[task], settings)
        if path is None:
            raise BrickUnavailable(f"the Lego-Edit {task} LoRA ({LORA_FILES[task]}) is not downloaded "
                                   "(fix: lego-edit models pull lego-loras)")
        ctx.progress(0.0, f"loading the {task} LoRA")
        pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=task)
        loaded.add(task)
    pipe.enable_lora()
    pipe.set_adapters([task], adapter_weights=[1.0])


def generate(ctx: BrickContext, eng: Engine, rgb: np.ndarray, mask: np.ndarray, prompt: str, *,
             strength: float = 1.0, steps: int | None = None, guidance: float | None = None,
             label: str = "denoising") -> np.ndarray:
    """Inpaint `rgb` (H x W x 3, sides multiples of eng.multiple) where `mask` is set; RGB uint8 back."""
    h, w = rgb.shape[:2]
    steps = int(steps or eng.steps)
    settings = manager_for(ctx).settings
    seed = sampling_seed(ctx, settings, eng.name)
    ctx.raise_if_cancelled()
    kwargs: dict[str, Any] = {}
    if eng.name == SD:
        kwargs["negative_prompt"] = str(settings.option(SD, "negative_prompt", "blurry, low quality, artifacts"))
    result = eng.pipe(prompt=prompt, image=Image.fromarray(rgb, "RGB"), mask_image=Image.fromarray(mask, "L"),
                      height=h, width=w, num_inference_steps=steps,
                      guidance_scale=float(guidance if guidance is not None else eng.guidance),
                      strength=float(strength), generator=torch_generator(seed),
                      callback_on_step_end=step_callback(ctx, max(1, int(steps * strength)), start=0.05, end=0.95,
                                                         label=label),
                      output_type="np", **kwargs)
    image = np.asarray(result.images[0])
    out = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if out.shape[:2] != (h, w):
        import cv2

        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)
    return out
