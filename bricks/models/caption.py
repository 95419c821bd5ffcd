"""CMI-PRED with a captioner: BLIP (transformers) writes the caption; the outpainting canvas is the offline
backend's (the reference's ratios, bricks/builtin/canvas.py). The Builder's VLM could caption too; BLIP is
1 GB and fast."""

from __future__ import annotations

import numpy as np

from lego_edit.bricks.builtin.canvas import canvas_borders, canvas_ratios, canvas_size, outpaint_canvas
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import rgb_pil
from lego_edit.bricks.models.loading import model_device, model_key, transformers_loader
from lego_edit.bricks.registry import BrickContext, BrickError

NAME = "captioner"


def caption(ctx: BrickContext, image: np.ndarray) -> str:
    import torch

    manager = manager_for(ctx)
    settings = manager.settings
    loader = transformers_loader(NAME, str(settings.option(NAME, "model_class", "BlipForConditionalGeneration")),
                                 str(settings.option(NAME, "processor_class", "BlipProcessor")))
    with manager.use(model_key(settings, NAME), loader) as blip:
        inputs = blip.processor(images=rgb_pil(image), return_tensors="pt").to(model_device(blip.model))
        with torch.inference_mode():
            ids = blip.model.generate(**inputs, max_new_tokens=int(settings.option(NAME, "max_new_tokens", 40)),
                                      num_beams=int(settings.option(NAME, "num_beams", 3)), do_sample=False)
        return blip.processor.decode(ids[0], skip_special_tokens=True).strip()


def caption_and_expand(ctx: BrickContext, image: np.ndarray, left_ratio: float | None = None,
                       right_ratio: float | None = None, top_ratio: float | None = None,
                       bottom_ratio: float | None = None) -> dict:
    ratios = canvas_ratios(left_ratio, right_ratio, top_ratio, bottom_ratio)  # checked before the captioner loads
    if ratios is not None:
        left, right, top, bottom = canvas_borders(image.shape, ratios)
        ctx.check_pixels(*canvas_size(image.shape[1] + left + right, image.shape[0] + top + bottom),
                         "CMI-PRED: the expanded canvas")
    ctx.progress(0.1, "captioning")
    text = caption(ctx, image)
    if not text:
        raise BrickError("CMI-PRED: the captioner returned an empty caption")
    if ratios is None:
        return {"caption": text, "image": None, "mask": None}
    canvas, mask = outpaint_canvas(image, ratios)
    return {"caption": text, "image": canvas, "mask": mask}
