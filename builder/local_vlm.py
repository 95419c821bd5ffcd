"""A local vision-language model through transformers: the Qwen2.5-VL family and the released
Lego-Edit Builder checkpoint (a fine-tuned Qwen2.5-VL).

Loaded lazily on the first plan, from a local folder or a hub id already in the cache (never
downloaded here: `lego-edit models pull builder` does that). The image is sent at 448 px on the
long side; decoding is greedy so the same request gives the same plan.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from builder.chat import ChatModelError, Message, thumbnail

log = logging.getLogger("lego_edit.builder.local")

IMAGE_PLACEHOLDER = "<|image_pad|>"


class LocalVLM:
    name = "local"

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto", max_new_tokens: int = 1024,
                 image_long_side: int = 448) -> None:
        if not model:
            raise ChatModelError("no local builder model configured: set builder.local_model in config.toml "
                                 "(a folder, or a hub id fetched with `lego-edit models pull builder`)")
        self.model_id, self.device_name, self.dtype_name = model, device, dtype
        self.max_new_tokens, self.image_long_side = max_new_tokens, image_long_side
        self._loaded: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._loaded is None:
                try:
                    import torch
                    from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer
                except ImportError as exc:
                    raise ChatModelError(f"the local builder needs the models extra ({exc.name} is missing): "
                                         "pip install 'lego-edit[models]'") from None
                device = self.device_name
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
                dtype = {"auto": torch.bfloat16 if device == "cuda" else torch.float32, "float32": torch.float32,
                         "bfloat16": torch.bfloat16, "float16": torch.float16}.get(self.dtype_name)
                if dtype is None:
                    raise ChatModelError(f"unknown dtype {self.dtype_name!r} (auto, float32, bfloat16, float16)")
                source = str(Path(self.model_id).expanduser()) if Path(self.model_id).expanduser().exists() else self.model_id
                try:
                    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
                    images = AutoImageProcessor.from_pretrained(source, local_files_only=True, backend="pil")
                    model = AutoModelForImageTextToText.from_pretrained(source, local_files_only=True, dtype=dtype)
                except OSError as exc:
                    raise ChatModelError(f"cannot load the builder model {self.model_id!r} from disk ({exc}); "
                                         "download it with `lego-edit models pull builder` or set a local folder") from None
                model.to(device).eval()
                log.info("loaded builder model %s on %s (%s)", self.model_id, device, dtype)
                self._loaded = (tokenizer, images, model)
        return self._loaded

    def complete(self, messages: list[Message], image: Any | None) -> str:
        import torch

        tokenizer, images, model = self._load()
        chat: list[dict[str, Any]] = []
        attached = image is None
        for m in messages:
            if m["role"] == "user" and not attached:
                chat.append({"role": "user", "content": [{"type": "image"}, {"type": "text", "text": m["content"]}]})
                attached = True
            else:
                chat.append({"role": m["role"], "content": m["content"]})
        text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        extra: dict[str, Any] = {}
        if image is not None:
            vision = images(images=[thumbnail(image, self.image_long_side)], return_tensors="pt")
            merge = getattr(images, "merge_size", 2)
            count = int(vision["image_grid_thw"][0].prod()) // (merge * merge)
            text = text.replace(IMAGE_PLACEHOLDER, IMAGE_PLACEHOLDER * count, 1)
            extra = {"pixel_values": vision["pixel_values"].to(model.device, model.dtype),
                     "image_grid_thw": vision["image_grid_thw"].to(model.device)}
        encoded = tokenizer([text], return_tensors="pt").to(model.device)
        with torch.inference_mode():
            out = model.generate(**encoded, **extra, max_new_tokens=self.max_new_tokens, do_sample=False)
        return tokenizer.decode(out[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
