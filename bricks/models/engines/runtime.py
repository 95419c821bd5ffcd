"""One interface over the editing engines' diffusers pipelines: `Engine.edit(image, prompt, mask, ...)`.

An engine is loaded lazily through the model manager (its budget and idle unloading) with the VRAM
preset's quantization and offload. A whole-image edit runs the engine's edit pipeline; an edit with a
mask runs its inpainting pipeline, built from the same components (no second copy of the weights),
so the model itself keeps to the mask. Progress is reported per denoising step, and a cancel stops
the pipeline at the next step (raising from the step callback skips the remaining steps and the
decode). Qwen-Image-Edit(-Plus) runs through diffusers' modular blocks at the engine's `resolution`
(`qwen.py`). Heavy imports happen here only, inside functions.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lego_edit.bricks.models.engines.catalog import VRAM_PRESETS, EngineSpec, Kind
from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.registry import BrickUnavailable, Cancelled

OnStep = Callable[[int, int], None]  # (done, total)


def _diffusers():
    try:
        import diffusers
    except ImportError as exc:
        raise BrickUnavailable(f"diffusers is not installed ({exc}); {INSTALL_HINT}") from exc
    return diffusers


def qwen_processor_class():
    """The Qwen2-VL processor class for Qwen-Image-Edit. transformers' own insists on a video processor,
    which needs torchvision; without torchvision an image-only subclass reads and writes the same files."""
    from transformers import Qwen2VLProcessor
    from transformers.processing_utils import ProcessorMixin

    if importlib.util.find_spec("torchvision") is not None:
        return Qwen2VLProcessor

    class ImageOnlyQwen2VLProcessor(Qwen2VLProcessor):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            self.image_token, self.video_token = "<|image_pad|>", "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

    return ImageOnlyQwen2VLProcessor


def _qwen_processor(folder: Path):
    return qwen_processor_class().from_pretrained(folder / "processor", local_files_only=True)


def loading_preset(manager: ModelManager, spec: EngineSpec) -> tuple[str, str]:
    """(quantization, offload) for loading `spec`: explicit settings win; else, on a GPU, the VRAM preset
    (configured or chosen from the card's free memory; a chosen one without bitsandbytes installed keeps
    its offload and loads in bf16); on a CPU nothing."""
    settings = manager.settings
    if settings.quantization != "none" or settings.offload != "none" or manager.device == "cpu":
        return settings.quantization, settings.offload
    name = settings.vram_preset
    if name == "auto":
        import torch

        from lego_edit.bricks.models.engines.choose import preset_for_card

        free = torch.cuda.mem_get_info()[0] / 1024**3 if manager.device.startswith("cuda") else 0.0
        name = spec.fits(free) or preset_for_card(free)
    preset = VRAM_PRESETS[name]
    if preset.quantization.startswith("bnb") and importlib.util.find_spec("bitsandbytes") is None:
        if settings.vram_preset == "auto":  # chosen for the card, not asked for: offload alone, in bf16
            return "none", preset.offload
    return preset.quantization, preset.offload


def _big_components(spec: EngineSpec) -> list[str]:
    if spec.name.startswith("flux1"):
        return ["transformer", "text_encoder_2"]
    if spec.kind == Kind.INPAINT:
        return ["unet"]
    return ["transformer", "text_encoder"]


def loader(spec: EngineSpec) -> Callable[[ModelManager], Any]:
    def load(manager: ModelManager) -> Any:
        diffusers = _diffusers()
        from dataclasses import replace

        from lego_edit.bricks.models.runtime import diffusers_quantization

        folder = model_folder(manager.settings, spec.model)
        quantization, offload = loading_preset(manager, spec)
        kwargs: dict[str, Any] = {"dtype": manager.dtype, "local_files_only": True}
        quant = diffusers_quantization(replace(manager.settings, quantization=quantization), manager.device,
                                       _big_components(spec))
        if quant is not None:
            kwargs["quantization_config"] = quant
        if spec.pipeline.startswith("QwenImage"):
            kwargs["processor"] = _qwen_processor(folder)
        if spec.name == "sd-inpaint":
            if (folder / "unet" / "diffusion_pytorch_model.fp16.safetensors").is_file():
                kwargs["variant"] = "fp16"
            kwargs.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe = getattr(diffusers, spec.pipeline).from_pretrained(folder, **kwargs)
        pipe.set_progress_bar_config(disable=True)
        pipe._lego_offload = offload  # the manager places the pipeline by this mode
        return pipe

    return load


@dataclass
class Engine:
    """A loaded engine. `edit` takes and returns RGB uint8 arrays of the working size it is given."""

    spec: EngineSpec
    pipe: Any
    resolution: int
    steps: int
    guidance: float

    @property
    def multiple(self) -> int:
        scale = int(getattr(self.pipe, "vae_scale_factor", 8))
        return scale if self.spec.name == "sd-inpaint" else 2 * scale

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The working size of a width x height crop: long side at `resolution`, sides multiples of
        `multiple`, and the short side at least 64 px (FLUX.2's image processor refuses less)."""
        from lego_edit.bricks.models.imaging import working_size

        w, h = working_size(width, height, self.resolution, self.multiple)
        if min(w, h) < 64:
            scale = 64 / min(w, h)
            w, h = working_size(width, height, math.ceil(max(w, h) * scale), self.multiple)
        return w, h

    def _inpainter(self) -> Any:
        """The engine's mask-confined pipeline on the same components (built once, kept on the pipe)."""
        if self.spec.inpaint_pipeline == self.spec.pipeline or self.spec.kind == Kind.INPAINT:
            return self.pipe
        cached = self.pipe.__dict__.get("_lego_inpainter")
        if cached is None:
            cls = getattr(_diffusers(), self.spec.inpaint_pipeline)
            cached = cls(**self.pipe.components)
            cached.set_progress_bar_config(disable=True)
            self.pipe.__dict__["_lego_inpainter"] = cached
        return cached

    def edit(self, image: np.ndarray, prompt: str, mask: np.ndarray | None = None, *, steps: int | None = None,
             guidance: float | None = None, seed: int | None = None, on_step: OnStep | None = None,
             cancelled: Callable[[], bool] | None = None, strength: float = 1.0,
             negative_prompt: str | None = None) -> np.ndarray:
        """Edit `image` (H x W x 3 uint8, sides multiples of `multiple`) by `prompt`; with `mask` (H x W,
        255 = editable) the model regenerates only there. Returns H x W x 3 uint8 (not yet composited)."""
        from lego_edit.bricks.models.runtime import torch_generator

        h, w = image.shape[:2]
        steps = int(steps or self.steps)
        guidance = float(self.guidance if guidance is None else guidance)
        if cancelled is not None and cancelled():
            raise Cancelled()
        pil = Image.fromarray(np.ascontiguousarray(image[..., :3]), "RGB")
        inpaint = self.spec.kind == Kind.INPAINT
        if inpaint and mask is None:
            mask = np.full((h, w), 255, np.uint8)
        kwargs: dict[str, Any] = {"prompt": prompt, "height": h, "width": w, "num_inference_steps": steps,
                                  "generator": torch_generator(seed), "output_type": "np"}
        schedule = steps  # the sampled steps are the last `steps` of a schedule this long
        if mask is not None:
            schedule, strength = denoise_schedule(steps, strength, truncating=self.spec.name == "sd-inpaint")
            kwargs.update(num_inference_steps=schedule, mask_image=Image.fromarray(mask, "L"), strength=strength)
        name = self.spec.pipeline
        if name.startswith("QwenImage"):
            from lego_edit.bricks.models.engines import qwen

            out = qwen.edit(self.pipe, pil, prompt, kwargs.get("mask_image"), plus=name == "QwenImageEditPlusPipeline",
                            area=qwen.condition_area(self.resolution), steps=schedule, guidance=guidance,
                            generator=kwargs["generator"], strength=strength, negative_prompt=negative_prompt or " ",
                            on_step=on_step, cancelled=cancelled)
            return _sized(out, h, w)
        pipe = self._inpainter() if mask is not None else self.pipe
        if name.startswith("Flux2"):
            kwargs.update(image=pil if mask is not None else [pil], guidance_scale=guidance,
                          text_encoder_out_layers=_out_layers(self.pipe.text_encoder))
            if mask is not None:
                kwargs["image_reference"] = pil
        elif name == "FluxKontextPipeline":
            kwargs.update(image=pil, guidance_scale=guidance, _auto_resize=False, max_area=h * w)
        else:  # FLUX.1 Fill, SD inpainting
            kwargs.update(image=pil, guidance_scale=guidance)
            if self.spec.name == "sd-inpaint":
                kwargs["negative_prompt"] = negative_prompt or "blurry, low quality, artifacts"

        def callback(p, step: int, timestep, tensors: dict) -> dict:
            n = getattr(p, "num_timesteps", None) or steps
            if cancelled is not None and cancelled():
                raise Cancelled()
            if on_step is not None:
                on_step(min(step + 1, n), n)
            return tensors

        result = pipe(callback_on_step_end=callback, **kwargs)
        return _sized(np.clip(np.rint(np.asarray(result.images[0]) * 255.0), 0, 255).astype(np.uint8), h, w)


def denoise_schedule(steps: int, denoise: float, *, truncating: bool = False) -> tuple[int, float]:
    """(num_inference_steps, strength) for diffusers that sample `steps` steps over the last `denoise`
    of the noise schedule, as ComfyUI's KSampler `denoise` does (the reference's FLUX-INPAINT: 20 steps
    at its score): a schedule of int(steps / denoise) steps whose last `steps` run. The FLUX and Qwen
    pipelines start at int(schedule - schedule x strength), SD's (`truncating`) at schedule -
    int(schedule x strength), so the product must not exceed `steps` for the first and not fall short
    of it for the second."""
    denoise = float(min(max(denoise, 1e-3), 1.0))
    if denoise >= 1.0:
        return steps, 1.0
    schedule = max(steps, int(steps / denoise))
    strength = steps / schedule
    while schedule * strength > steps:
        strength = math.nextafter(strength, 0.0)
    while truncating and schedule * strength < steps:
        strength = math.nextafter(strength, 2.0)
    return schedule, strength


def _sized(out: np.ndarray, h: int, w: int) -> np.ndarray:
    if out.shape[:2] != (h, w):
        import cv2

        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA if out.shape[0] > h else cv2.INTER_CUBIC)
    return out


def _out_layers(text_encoder: Any) -> tuple[int, ...]:
    """FLUX.2 klein reads the text encoder's hidden states 9, 18 and 27; a shallower encoder (a test's
    tiny one) gets the same three depths spread over its layers."""
    n = int(text_encoder.config.num_hidden_layers)
    if n >= 27:
        return (9, 18, 27)
    return tuple(max(1, round(n * k / 3)) for k in (1, 2, 3))


def open_engine(manager: ModelManager, spec: EngineSpec):
    """A context manager: the loaded engine, pinned in the manager while the block runs."""
    import contextlib

    @contextlib.contextmanager
    def use():
        settings = manager.settings
        if spec.kind == Kind.INPAINT:  # the same loaded pipeline as the FLUX.1 Fill / SD backends use
            from lego_edit.bricks.models import diffusion

            key, load = model_key(settings, spec.model), (diffusion.load_flux if spec.model == diffusion.FLUX
                                                          else diffusion.load_sd)
        else:
            key, load = model_key(settings, spec.model, "engine"), loader(spec)
        with manager.use(key, load) as pipe:
            if pipe.__dict__.get("_lego_loras"):  # a Lego-Edit task LoRA left on by a diptych edit
                pipe.disable_lora()
            opt = settings.options.get(spec.model, {})
            yield Engine(spec, pipe, int(opt.get("resolution", spec.resolution)), int(opt.get("steps", spec.steps)),
                         float(opt.get("guidance", spec.guidance)))

    return use()
