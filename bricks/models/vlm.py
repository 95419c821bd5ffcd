"""ADD-PRED with a vision-language model: ask where the new object belongs, read a box, draw it.

`ask_box` is the whole model interaction (image + question -> answer text -> box in image pixels),
kept apart from the brick so the Builder's own VLM loader can serve it later. The default model is
Qwen2.5-VL, which answers grounding questions with JSON boxes in the pixels of the image it was
shown ({"bbox_2d": [x1, y1, x2, y2]}); Qwen2-VL style "(x1,y1),(x2,y2)" on a 0..1000 grid and plain
fractions are understood too.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from bricks.models import manager_for
from bricks.models.imaging import bbox, box_mask, rgb_pil
from bricks.models.loading import model_device, model_key, transformers_loader
from bricks.registry import BrickContext, BrickError

NAME = "vlm"
Box = tuple[float, float, float, float]

QUESTION = ("I want to add {object} to this image. Where should it go so that it looks natural? "
            "Answer with its bounding box as JSON: {{\"bbox_2d\": [x1, y1, x2, y2]}}.")


def parse_box(answer: str, shown: tuple[int, int], original: tuple[int, int]) -> Box | None:
    """A box in original-image pixels from the model's answer; `shown`/`original` are (width, height)."""
    sw, sh = shown
    ow, oh = original
    numbers: list[float] | None = None
    grid = None
    match = re.search(r"\"?bbox_2d\"?\s*:\s*\[([^\]]+)\]", answer)
    if match:
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", match.group(1))][:4]
    if numbers is None:
        match = re.search(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*,?\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", answer)
        if match:
            numbers, grid = [float(v) for v in match.groups()], 1000.0
    if numbers is None:
        found = re.findall(r"-?\d+(?:\.\d+)?", answer)
        if len(found) >= 4:
            numbers = [float(v) for v in found[:4]]
    if numbers is None or len(numbers) < 4:
        return None
    x0, y0, x1, y1 = numbers
    if grid is not None:
        sx, sy = ow / grid, oh / grid
    elif max(numbers) <= 1.0:
        sx, sy = ow, oh
    else:
        sx, sy = ow / sw, oh / sh
    x0, x1 = sorted((x0 * sx, x1 * sx))
    y0, y1 = sorted((y0 * sy, y1 * sy))
    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(ow), x1), min(float(oh), y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return x0, y0, x1, y1


def ask_box(ctx: BrickContext, image: np.ndarray, what: str) -> tuple[Box | None, str]:
    """(box in image pixels or None, the model's answer) for where `what` should be added."""
    import torch

    manager = manager_for(ctx)
    settings = manager.settings
    loader = transformers_loader(NAME, str(settings.option(NAME, "model_class", "AutoModelForImageTextToText")),
                                 dtype="manager", quantize=True)
    pil = rgb_pil(image)
    side = int(settings.option(NAME, "image_side", 768))
    if max(pil.size) > side:
        scale = side / max(pil.size)
        pil = pil.resize((max(28, round(pil.width * scale)), max(28, round(pil.height * scale))))
    messages = [{"role": "user", "content": [{"type": "image"},
                                             {"type": "text", "text": QUESTION.format(object=what)}]}]
    with manager.use(model_key(settings, NAME), loader) as vlm:
        text = vlm.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = vlm.processor(text=[text], images=[pil], return_tensors="pt").to(model_device(vlm.model))
        shown = _shown_size(inputs, vlm.processor, pil.size)
        with torch.inference_mode():
            ids = vlm.model.generate(**inputs, max_new_tokens=int(settings.option(NAME, "max_new_tokens", 64)),
                                     do_sample=False)
        answer = vlm.processor.batch_decode(ids[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)[0]
    return parse_box(answer, shown, (image.shape[1], image.shape[0])), answer


def _shown_size(inputs: Any, processor: Any, fallback: tuple[int, int]) -> tuple[int, int]:
    """The size the model saw: Qwen-VL resizes to its patch grid, and answers in those pixels."""
    grid = inputs.get("image_grid_thw") if hasattr(inputs, "get") else None
    if grid is not None:
        patch = int(getattr(getattr(processor, "image_processor", None), "patch_size", 14) or 14)
        _, gh, gw = (int(v) for v in grid[0])
        return gw * patch, gh * patch
    return fallback


def _fit_into(box: Box, region: tuple[int, int, int, int]) -> Box:
    """The box placed in the user's region as the reference demo does: centred horizontally on it,
    standing on its bottom edge (objects stand on something), shrunk to fit."""
    x0, y0, x1, y1 = box
    rx0, ry0, rx1, ry1 = region
    w, h = min(x1 - x0, rx1 - rx0), min(y1 - y0, ry1 - ry0)
    cx = (rx0 + rx1) / 2
    return cx - w / 2, ry1 - h, cx + w / 2, float(ry1)


def add_pred(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    if mask is not None and mask.shape != image.shape[:2]:
        raise BrickError(f"ADD-PRED: the mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                         f"{image.shape[1]}x{image.shape[0]}")
    if not prompt.strip():
        raise BrickError("ADD-PRED needs a prompt describing the object")
    ctx.progress(0.1, "asking the VLM")
    box, answer = ask_box(ctx, image, prompt.strip())
    if box is None:
        raise BrickError(f"ADD-PRED: the VLM gave no usable box (answer: {answer[:120]!r})")
    region = bbox(mask) if mask is not None else None
    if region is not None:
        box = _fit_into(box, region)
    return {"mask": box_mask(image.shape, box)}

