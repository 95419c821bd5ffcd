"""A local vision-language model through transformers: the Qwen2.5-VL family and the released
Lego-Edit Builder checkpoint (a fine-tuned Qwen2.5-VL).

Loaded lazily on the first plan, from a local folder or a hub id already in the cache (never
downloaded here: `lego-edit models pull builder` does that). The image is sent at 448 px on the
long side; decoding is greedy so the same request gives the same plan. The model talk itself is
`bricks.models.vlm.VisionChat`, which the ADD-PRED brick uses too.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.builder.chat import ChatModelError, Message, thumbnail

log = logging.getLogger("lego_edit.builder.local")


class LocalVLM:
    name = "local"

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto", max_new_tokens: int = 1024,
                 image_long_side: int = 448) -> None:
        if not model:
            raise ChatModelError("no local builder model configured: set builder.local_model in config.toml "
                                 "(a folder, or a hub id fetched with `lego-edit models pull builder`)")
        self.model_id, self.device_name, self.dtype_name = model, device, dtype
        self.max_new_tokens, self.image_long_side = max_new_tokens, image_long_side
        self._chat: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._chat is None:
                try:
                    import torch

                    from lego_edit.bricks.models.vlm import VisionChat
                except ImportError as exc:
                    raise ChatModelError(f"the local builder needs the models extra ({exc.name} is missing): {INSTALL_HINT}") from None
                device = self.device_name
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
                dtype = {"auto": torch.bfloat16 if device == "cuda" else torch.float32, "float32": torch.float32,
                         "bfloat16": torch.bfloat16, "float16": torch.float16}.get(self.dtype_name)
                if dtype is None:
                    raise ChatModelError(f"unknown dtype {self.dtype_name!r} (auto, float32, bfloat16, float16)")
                folder = Path(self.model_id).expanduser()
                source = str(folder) if folder.exists() else self.model_id
                try:
                    chat = VisionChat.load(source, dtype=dtype)
                except OSError as exc:
                    raise ChatModelError(f"cannot load the builder model {self.model_id!r} from disk ({exc}); "
                                         "download it with `lego-edit models pull builder` or set a local folder") from None
                chat.model.to(device)
                log.info("loaded builder model %s on %s (%s)", self.model_id, device, dtype)
                self._chat = chat
        return self._chat

    def complete(self, messages: list[Message], image: Any | None) -> str:
        chat = self._load()
        picture = thumbnail(image, self.image_long_side) if image is not None else None
        answer, _ = chat.answer(messages, picture, max_new_tokens=self.max_new_tokens)
        return answer
