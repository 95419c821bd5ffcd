"""Vision-language models of the Qwen2-VL family, and ADD-PRED with one: ask where the new object
belongs, read a box, draw it.

`VisionChat` is the one way Lego Edit talks to such a model — the ADD-PRED brick here and the
Builder's `local` backend both use it. It pairs the tokenizer (and its chat template) with the PIL
image processor rather than AutoProcessor, whose video processor needs torchvision. The default model is
Qwen2.5-VL, which answers grounding questions with JSON boxes in the pixels of the image it was
shown ({"bbox_2d": [x1, y1, x2, y2]}); Qwen2-VL style "(x1,y1),(x2,y2)" on a 0..1000 grid and plain
fractions are understood too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lego_edit.bricks.imageops import bbox, check_mask_size
from lego_edit.bricks.models import manager_for
from lego_edit.bricks.models.imaging import box_mask, rgb_pil
from lego_edit.bricks.models.loading import model_device, model_folder, model_key
from lego_edit.bricks.registry import BrickContext, BrickError

NAME = "vlm"
Box = tuple[float, float, float, float]
IMAGE_PLACEHOLDER = "<|image_pad|>"


def chat_turns(messages: list[dict[str, str]], *, with_image: bool) -> list[dict[str, Any]]:
    """The messages ([{"role", "content": str}]) in the chat template's form: with an image, the first
    user turn holds an image slot before its text, as the processor expects."""
    chat: list[dict[str, Any]] = []
    attached = not with_image
    for m in messages:
        if m["role"] == "user" and not attached:
            chat.append({"role": "user", "content": [{"type": "image"}, {"type": "text", "text": m["content"]}]})
            attached = True
        else:
            chat.append({"role": m["role"], "content": m["content"]})
    return chat


def chat_text(processor: Any, messages: list[dict[str, str]], *, with_image: bool) -> str:
    """The exact text the processor tokenises for `messages` (chat template applied, generation prompt
    added, one unexpanded image placeholder when `with_image`). `processor` is an AutoProcessor, a
    tokenizer or a VisionChat: the processor's chat template (chat_template.json / .jinja) is used,
    else the tokenizer's."""
    tokenizer = getattr(processor, "tokenizer", None) or processor
    template = getattr(processor, "chat_template", None) or getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("default")
    if not template:
        raise ValueError("the model has no chat template (neither chat_template.json nor the tokenizer's)")
    return tokenizer.apply_chat_template(chat_turns(messages, with_image=with_image), chat_template=template,
                                         add_generation_prompt=True, tokenize=False)


def processor_chat_template(folder: str | Path) -> str | None:
    """The chat template saved beside a processor (chat_template.jinja, or chat_template.json's
    "chat_template"), which the tokenizer does not load; None when there is none."""
    import json

    folder = Path(folder)
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    saved = folder / "chat_template.json"
    if saved.is_file():
        template = json.loads(saved.read_text(encoding="utf-8")).get("chat_template")
        return template if isinstance(template, str) and template else None
    return None


@dataclass
class VisionChat:
    """A Qwen2-VL-family model, its tokenizer and its image processor (the manager measures `model`).
    `chat_template` is the processor's template when the checkpoint has one (it wins over the
    tokenizer's, as with AutoProcessor)."""

    tokenizer: Any
    images: Any
    model: Any
    chat_template: str | None = None

    @classmethod
    def load(cls, folder: str | Path, *, dtype: Any, model_class: str = "AutoModelForImageTextToText",
             **model_kwargs: Any) -> VisionChat:
        """Load from a local folder (never downloads)."""
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        images = transformers.AutoImageProcessor.from_pretrained(folder, local_files_only=True, backend="pil")
        model = getattr(transformers, model_class).from_pretrained(folder, local_files_only=True, dtype=dtype,
                                                                   **model_kwargs)
        return cls(tokenizer, images, model.eval(), processor_chat_template(folder))

    def answer(self, messages: list[dict[str, str]], image: Any = None, *, max_new_tokens: int = 256
               ) -> tuple[str, tuple[int, int] | None]:
        """Greedy answer to `messages` ([{"role", "content": str}]); `image` (PIL) goes with the first
        user message. Also returns the (width, height) the model saw the image at."""
        import torch

        text = chat_text(self, messages, with_image=image is not None)
        device = model_device(self.model)
        extra: dict[str, Any] = {}
        shown = None
        if image is not None:
            vision = self.images(images=[image], return_tensors="pt")
            grid = vision["image_grid_thw"]
            merge = int(getattr(self.images, "merge_size", 2))
            text = text.replace(IMAGE_PLACEHOLDER, IMAGE_PLACEHOLDER * (int(grid[0].prod()) // (merge * merge)), 1)
            patch = int(getattr(self.images, "patch_size", 14))
            shown = (int(grid[0][2]) * patch, int(grid[0][1]) * patch)
            extra = {"pixel_values": vision["pixel_values"].to(device, self.model.dtype),
                     "image_grid_thw": grid.to(device)}
        encoded = self.tokenizer([text], return_tensors="pt").to(device)
        if image is not None:  # Qwen2.5-VL places image tokens in 3-D (M-RoPE) only when told which they are
            image_id = self.tokenizer.convert_tokens_to_ids(IMAGE_PLACEHOLDER)
            encoded["mm_token_type_ids"] = (encoded["input_ids"] == image_id).long()
        with torch.inference_mode():
            out = self.model.generate(**encoded, **extra, max_new_tokens=max_new_tokens, do_sample=False)
        return self.tokenizer.decode(out[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True), shown



def attach_lora(chat: VisionChat, folder: str | Path, *, merge: bool = True) -> VisionChat:
    """`chat` with the PEFT LoRA in `folder` on its model — merged into the weights by default, so it runs
    as fast as the base model. ValueError (with what is wrong) for a folder that is not a LoRA for it."""
    from peft import PeftModel

    path = Path(folder).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise ValueError(f"{folder} holds no adapter_config.json: not a LoRA folder (train one with `lego-edit train`)")
    try:
        model = PeftModel.from_pretrained(chat.model, str(path), is_trainable=False)
    except (ValueError, RuntimeError, KeyError) as exc:
        raise ValueError(f"the LoRA in {folder} does not fit this model ({exc})") from None
    chat.model = (model.merge_and_unload() if merge else model).eval()
    return chat

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
    manager = manager_for(ctx)
    settings = manager.settings

    def load(mgr: Any) -> VisionChat:
        from lego_edit.bricks.models.runtime import transformers_quantization

        kwargs: dict[str, Any] = {}
        quantization = transformers_quantization(mgr.settings, mgr.device)
        if quantization is not None:
            kwargs = {"quantization_config": quantization, "device_map": mgr.device}
        return VisionChat.load(model_folder(mgr.settings, NAME), dtype=mgr.dtype,
                               model_class=str(mgr.settings.option(NAME, "model_class", "AutoModelForImageTextToText")),
                               **kwargs)

    pil = rgb_pil(image)
    side = int(settings.option(NAME, "image_side", 768))
    if max(pil.size) > side:
        scale = side / max(pil.size)
        pil = pil.resize((max(28, round(pil.width * scale)), max(28, round(pil.height * scale))))
    question = [{"role": "user", "content": QUESTION.format(object=what)}]
    with manager.use(model_key(settings, NAME), load) as vlm:
        answer, shown = vlm.answer(question, pil, max_new_tokens=int(settings.option(NAME, "max_new_tokens", 64)))
    return parse_box(answer, shown or pil.size, (image.shape[1], image.shape[0])), answer


def _fit_into(box: Box, region: tuple[int, int, int, int]) -> Box:
    """The box placed in the user's region as the reference demo does: centred horizontally on it,
    standing on its bottom edge (objects stand on something), shrunk to fit."""
    x0, y0, x1, y1 = box
    rx0, ry0, rx1, ry1 = region
    w, h = min(x1 - x0, rx1 - rx0), min(y1 - y0, ry1 - ry0)
    cx = (rx0 + rx1) / 2
    return cx - w / 2, ry1 - h, cx + w / 2, float(ry1)


def add_pred(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    if mask is not None:
        check_mask_size(image, mask, "ADD-PRED")
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

