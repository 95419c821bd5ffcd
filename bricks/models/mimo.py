"""ADD-PRED and CMI-PRED as the reference runs them: the released Builder checkpoint with its
`mimo_lora` adapter (PEFT), asked one question in one user turn.

CMI-PRED's caption: "Describe this image", the image resized so its long side is exactly 448 px.
ADD-PRED: "Add <prompt>, predict where it should be placed. Output the answer in the format
[x1, y1, x2, y2]", the image at 768 px long side; the answer is a Python list in the pixels of that
768 px image. As in the reference, the box is drawn (corners included) on a mask of the shown size,
moved down by 1/48 of the image height when the prompt names a hat or cap, grown when it covers
under 0.2 % of the picture, and, with a user mask, centred on the mask's box, standing on its bottom
edge and cut to it. Unlike the reference, whose mask stays at the shown size, the mask is brought to
the image's size (nearest neighbour) before a user mask is applied, so both are in one frame.
Decoding is greedy; any reasoning before `</think>` is dropped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from lego_edit.bricks.builtin.canvas import canvas_ratios, outpaint_canvas
from lego_edit.bricks.imageops import bbox, check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import binary, rgb_pil
from lego_edit.bricks.models.loading import model_folder, model_key
from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.settings import ModelSettings
from lego_edit.bricks.registry import BrickContext, BrickError, BrickUnavailable

BUILDER = "builder"
LORA = "mimo-lora"
BUILDER_FILES = ("Builder/config.json",)
LORA_FILES = ("mimo_lora/adapter_config.json", "mimo_lora/adapter_model.safetensors")
CAPTION_PROMPT = "Describe this image"
CAPTION_SIDE = 448
BOX_PROMPT = "Add {object}, predict where it should be placed. Output the answer in the format [x1, y1, x2, y2]"
BOX_SIDE = 768
MAX_NEW_TOKENS = 4096  # the reference's sampling limit
Box = tuple[float, float, float, float]


def reference_size(width: int, height: int, side: int) -> tuple[int, int]:
    """(w, h) with the long side exactly `side` and the other truncated, as the reference computes it."""
    if width > height:
        return side, max(1, int(height / width * side))
    if width < height:
        return max(1, int(width / height * side)), side
    return side, side


def shown_image(image: np.ndarray, side: int) -> Image.Image:
    """The RGB picture the model is shown (PIL's default resampling, as the reference's `resize`)."""
    pil = rgb_pil(image)
    size = reference_size(pil.width, pil.height, side)
    return pil.resize(size) if size != pil.size else pil


def caption_request(image: np.ndarray) -> tuple[list[dict[str, str]], Image.Image]:
    """The messages and picture of CMI-PRED's caption question."""
    return [{"role": "user", "content": CAPTION_PROMPT}], shown_image(image, CAPTION_SIDE)


def box_request(image: np.ndarray, prompt: str) -> tuple[list[dict[str, str]], Image.Image]:
    """The messages and picture of ADD-PRED's box question."""
    return [{"role": "user", "content": BOX_PROMPT.format(object=prompt)}], shown_image(image, BOX_SIDE)


def final_answer(text: str) -> str:
    return text.split("</think>")[-1]


def parse_box(answer: str) -> Box:
    """The [x1, y1, x2, y2] list of the answer (after any reasoning); BrickError when there is none."""
    text = final_answer(answer).strip()
    match = re.search(r"\[\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?){3}\s*\]", text)
    if match is None:
        raise BrickError(f"ADD-PRED: the box predictor gave no [x1, y1, x2, y2] box (answer: {text[:120]!r})")
    x1, y1, x2, y2 = (float(v) for v in ast.literal_eval(match.group(0)))
    return x1, y1, x2, y2


def _rectangle(size: tuple[int, int], box: Box) -> np.ndarray:
    """A mask of `size` (w, h) with the box filled, both corners included (PIL's rectangle)."""
    x1, y1, x2, y2 = box
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), fill=255)
    return np.array(mask)


def _inclusive_box(mask: np.ndarray) -> Box | None:
    found = bbox(binary(mask))
    if found is None:
        return None
    x0, y0, x1, y1 = found
    return float(x0), float(y0), float(x1 - 1), float(y1 - 1)


def align_to_region(box: Box, region: Box) -> Box | None:
    """The box moved so its centre is over the region's centre and its bottom on the region's bottom,
    then cut to the region (inclusive corners); None when nothing is left."""
    rx0, ry0, rx1, ry1 = region
    x0, y0, x1, y1 = box
    dx = (rx0 + rx1) / 2 - (x0 + x1) / 2
    dy = ry1 - y1
    x0, x1, y0, y1 = x0 + dx, x1 + dx, y0 + dy, y1 + dy
    cut = max(rx0, x0), max(ry0, y0), min(rx1, x1), min(ry1, y1)
    return cut if cut[0] < cut[2] and cut[1] < cut[3] else None


def box_to_mask(answer: str, prompt: str, image_size: tuple[int, int], user_mask: np.ndarray | None = None
                ) -> np.ndarray:
    """ADD-PRED's mask (the image's size, (w, h)) from the predictor's answer, as the reference draws it."""
    width, height = image_size
    shown = reference_size(width, height, BOX_SIDE)
    mask = _rectangle(shown, parse_box(answer))
    if "hat" in prompt or "cap" in prompt:  # headwear sits lower than the predicted box
        shift = int(height / 48)
        moved = np.zeros_like(mask)
        if shift < mask.shape[0]:
            moved[shift:] = mask[:mask.shape[0] - shift]
        mask = moved
    if mask.sum() / (255.0 * mask.size) < 0.002:
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=5)
    mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)
    if not mask.any():
        raise BrickError(f"ADD-PRED: the predicted box lies outside the image (answer: {final_answer(answer)[:120]!r})")
    if user_mask is None:
        return mask
    region = _inclusive_box(user_mask)
    added = _inclusive_box(mask)
    if region is None or added is None:
        return mask
    placed = align_to_region(added, region)
    if placed is None:
        raise BrickError("ADD-PRED: the predicted box does not fit in the given mask")
    return _rectangle((width, height), placed)


@dataclass
class MimoChat:
    """The Builder with the mimo_lora adapter, behind bricks.models.vlm.VisionChat (a dataclass, so
    the manager finds the model inside to measure and place it)."""

    chat: Any
    adapter: Path

    @property
    def model(self) -> Any:
        return self.chat.model

    def answer(self, messages: list[dict[str, str]], image: Image.Image, max_new_tokens: int) -> str:
        text, _ = self.chat.answer(messages, image, max_new_tokens=max_new_tokens)
        return text


def load_mimo(manager: ModelManager) -> MimoChat:
    try:
        from peft import PeftModel

        from lego_edit.bricks.models.vlm import VisionChat
    except ImportError as exc:
        raise BrickUnavailable(f"{LORA}: needs transformers and peft ({exc}); pip install 'lego-edit[models]'") from exc
    settings = manager.settings
    builder = model_folder(settings, BUILDER, BUILDER_FILES) / "Builder"
    adapter = model_folder(settings, LORA, LORA_FILES) / "mimo_lora"
    dtype = _dtype(settings, manager)
    try:
        chat = VisionChat.load(builder, dtype=dtype)
        chat.model = PeftModel.from_pretrained(chat.model, str(adapter), is_trainable=False).eval()
    except (OSError, ValueError, KeyError) as exc:
        raise BrickUnavailable(f"{LORA}: cannot load the Builder with its adapter from {builder} and {adapter} "
                               f"({exc}); pull them again with lego-edit models pull {BUILDER} {LORA}") from exc
    return MimoChat(chat, adapter)


def _dtype(settings: ModelSettings, manager: ModelManager) -> Any:
    """fp16 on a GPU as the reference serves it (overridable with [models.options.mimo-lora] dtype)."""
    import torch

    name = settings.option(LORA, "dtype", None)
    if name:
        return getattr(torch, str(name))
    return torch.float16 if manager.device.startswith("cuda") else manager.dtype


def ask(ctx: BrickContext, messages: list[dict[str, str]], picture: Image.Image) -> str:
    manager = manager_for(ctx)
    settings = manager.settings
    key = model_key(settings, LORA, model_key(settings, BUILDER))
    limit = int(settings.option(LORA, "max_new_tokens", MAX_NEW_TOKENS))
    with manager.use(key, load_mimo) as mimo:
        return mimo.answer(messages, picture, limit)


def add_pred(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    if mask is not None:
        check_mask_size(image, mask, "ADD-PRED")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BrickError("ADD-PRED needs a prompt describing the object")
    ctx.progress(0.1, "predicting the box")
    messages, picture = box_request(image, prompt)
    answer = ask(ctx, messages, picture)
    return {"mask": box_to_mask(answer, prompt, (image.shape[1], image.shape[0]), mask)}


def caption_and_expand(ctx: BrickContext, image: np.ndarray, left_ratio: float | None = None,
                       right_ratio: float | None = None, top_ratio: float | None = None,
                       bottom_ratio: float | None = None) -> dict:
    ratios = canvas_ratios(left_ratio, right_ratio, top_ratio, bottom_ratio)  # checked before the model loads
    ctx.progress(0.1, "captioning")
    messages, picture = caption_request(image)
    caption = final_answer(ask(ctx, messages, picture)).replace("\n", "").strip()
    if not caption:
        raise BrickError("CMI-PRED: the captioner returned an empty caption")
    if ratios is None:
        return {"caption": caption, "image": None, "mask": None}
    canvas, canvas_mask = outpaint_canvas(image, ratios)
    return {"caption": caption, "image": canvas, "mask": canvas_mask}
