"""Qwen-Image-Edit(-Plus) at a chosen image area, through diffusers' modular Qwen blocks.

diffusers' `QwenImageEdit*Pipeline` classes resize the condition image to about 1024² whatever size is
asked for: the VAE encodes a megapixel, the transformer attends over its ~4096 tokens, and the inpaint
pipeline also decodes at that size. Their modular blocks (the same steps, maintained beside them) keep
that resize as a block of its own, so it is swapped here for one at the engine's `resolution`² for a
whole-image edit (1024² by default, diffusers' own choice) and at the working image's own size for a
masked one: a small card, or a quick edit of a small crop, can work at 512² with a quarter of the
condition tokens. A block in the denoising loop reports each step and stops at a cancel. The modular
pipeline is built on the loaded pipeline's own modules (no second copy; the manager's offload hooks
stay on them), once per kind of call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from lego_edit.bricks.registry import Cancelled

VL_AREA = 384 * 384  # Qwen-Image-Edit-2509's condition image for its vision-language encoder

Step = Callable[[int, int], None]  # (done, total)


def _blocks(plus: bool, masked: bool, area: int) -> Any:
    """The modular blocks of the pipeline that `QwenImageEdit(Plus|Inpaint)Pipeline` would run, with
    the resize steps at `area` and a per-step report in the denoising loop. Masked, the condition is
    the working image at its own size: the inpainting latents start from it, token for token."""
    from diffusers.modular_pipelines import (
        ModularPipelineBlocks,
        QwenImageEditAutoBlocks,
        QwenImageEditPlusAutoBlocks,
    )
    from diffusers.modular_pipelines.modular_pipeline_utils import InputParam
    from diffusers.modular_pipelines.qwenimage.encoders import (
        QwenImageEditPlusResizeStep,
        QwenImageEditResizeStep,
        calculate_dimensions,
    )

    def sized(image: Any, target: int | None) -> tuple[int, int]:
        if target is None:  # the working image as it is
            return image.size
        width, height, _ = calculate_dimensions(target, image.size[0] / image.size[1])
        return int(width), int(height)

    def listed(images: Any) -> list:
        return list(images) if isinstance(images, (list, tuple)) else [images]

    class Resize(QwenImageEditResizeStep):
        def __call__(self, components, state):
            block_state = self.get_block_state(state)
            images = listed(block_state.image)
            width, height = sized(images[0], None if masked else area)
            block_state.resized_image = [components.image_resize_processor.resize(i, height=height, width=width)
                                         for i in images]
            self.set_block_state(state, block_state)
            return components, state

    class PlusResize(QwenImageEditPlusResizeStep):
        def __call__(self, components, state):
            block_state = self.get_block_state(state)
            resized, cond = [], []
            for image in listed(block_state.image):
                width, height = sized(image, area)
                resized.append(components.image_resize_processor.resize(image, height=height, width=width))
                width, height = sized(image, min(area, VL_AREA))
                cond.append(components.image_resize_processor.resize(image, height=height, width=width))
            block_state.resized_image, block_state.resized_cond_image = resized, cond
            self.set_block_state(state, block_state)
            return components, state

    class Report(ModularPipelineBlocks):
        model_name = "qwenimage-edit"

        @property
        def description(self) -> str:
            return "reports each finished denoising step to `step_report`, which may raise to stop"

        @property
        def inputs(self) -> list:
            return [InputParam("step_report", description="(done, total) after each step")]

        def __call__(self, components, block_state, i, t):
            report = getattr(block_state, "step_report", None)
            if report is not None:
                report(i + 1, len(block_state.timesteps))
            return components, block_state

    blocks: Any
    if plus and not masked:
        blocks = QwenImageEditPlusAutoBlocks()
        blocks.sub_blocks["text_encoder"].sub_blocks["resize"] = PlusResize()
        blocks.sub_blocks["vae_encoder"].sub_blocks["resize"] = PlusResize()
        loop = blocks.sub_blocks["denoise"].sub_blocks["denoise"]
        loop.sub_blocks["report"] = Report()
        loop.set_progress_bar_config(disable=True)
        return blocks
    blocks = QwenImageEditAutoBlocks()
    blocks.sub_blocks["text_encoder"].sub_blocks["resize"] = Resize()
    for workflow in ("edit", "edit_inpaint"):
        blocks.sub_blocks["vae_encoder"].sub_blocks[workflow].sub_blocks["resize"] = Resize()
        loop = blocks.sub_blocks["denoise"].sub_blocks[workflow].sub_blocks["denoise"]
        loop.sub_blocks["report"] = Report()
        loop.set_progress_bar_config(disable=True)
    return blocks


def condition_area(resolution: int) -> int:
    """The condition image's area for a working `resolution` (the long side): its square."""
    return int(resolution) ** 2


class _GuiderNotice(logging.Filter):
    """Drops diffusers' notice that guiders are an experimental API: it concerns this module, not the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "experimental feature" not in record.getMessage()


def _modular(pipe: Any, plus: bool, masked: bool, area: int, guidance: float) -> Any:
    """The modular pipeline on `pipe`'s modules for this kind of call, built once and kept on `pipe`."""
    from diffusers.guiders import ClassifierFreeGuidance

    guider_log = logging.getLogger("diffusers.guiders.guider_utils")
    if not any(isinstance(f, _GuiderNotice) for f in guider_log.filters):
        guider_log.addFilter(_GuiderNotice())

    cache = pipe.__dict__.setdefault("_lego_modular", {})
    modular = cache.get((plus, masked, area))
    if modular is None:
        blocks = _blocks(plus, masked, area)
        modular = blocks.init_pipeline()
        wanted = {spec.name for spec in blocks.expected_components}
        modular.update_components(**{k: v for k, v in pipe.components.items() if k in wanted and v is not None})
        cache[(plus, masked, area)] = modular
    if getattr(modular, "guider", None) is None or modular.guider.guidance_scale != guidance:
        modular.update_components(guider=ClassifierFreeGuidance(guidance_scale=guidance))
    return modular


def edit(pipe: Any, image: Image.Image, prompt: str, mask: Image.Image | None, *, plus: bool, area: int,
         steps: int, guidance: float, generator: Any, strength: float, negative_prompt: str,
         on_step: Step | None, cancelled: Callable[[], bool] | None) -> np.ndarray:
    """One edit of `image` (RGB, the output's size) on the loaded Qwen pipeline `pipe`; with `mask`
    (L, 255 = editable) only there. Returns H x W x 3 uint8."""
    modular = _modular(pipe, plus, mask is not None, area, float(guidance))

    def report(done: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if on_step is not None:
            on_step(done, total)

    kwargs: dict[str, Any] = {"image": image, "prompt": prompt, "negative_prompt": negative_prompt,
                              "height": image.size[1], "width": image.size[0], "num_inference_steps": int(steps),
                              "generator": generator, "output_type": "pil", "step_report": report}
    if mask is not None:
        kwargs.update(mask_image=mask, strength=float(strength))
    out = modular(output="images", **kwargs)[0]
    return np.asarray(out.convert("RGB"), dtype=np.uint8)
